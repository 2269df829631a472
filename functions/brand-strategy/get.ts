import { defineHandler } from '#functions/define-handler';
import { brandRoutes } from '#functions/route-table/brand';
import { getBrandStrategy } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(brandRoutes['brand-strategy/get'], ({ userId }) =>
  getBrandStrategy(userId),
);
