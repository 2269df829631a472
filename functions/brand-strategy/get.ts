import { brandRoutes } from '#functions/route-table/brand';
import { defineHandler } from '#shared/http/handler';
import { getBrandStrategy } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(brandRoutes['brand-strategy/get'], ({ userId }) =>
  getBrandStrategy(userId),
);
