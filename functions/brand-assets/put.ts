import { brandRoutes } from '#functions/route-table/brand';
import { defineHandler } from '#shared/http/handler';
import { putBrandAssets } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(brandRoutes['brand-assets/put'], ({ userId, body }) =>
  putBrandAssets(userId, body),
);
