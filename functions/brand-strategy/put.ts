import { defineHandler } from '#functions/define-handler';
import { brandRoutes } from '#functions/route-table/brand';
import { putBrandStrategy } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(brandRoutes['brand-strategy/put'], ({ userId, body }) =>
  putBrandStrategy(userId, body),
);
