import { defineHandler } from '#functions/define-handler';
import { brandRoutes } from '#functions/route-table/brand';
import { putBrandAssets } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(brandRoutes['brand-assets/put'], ({ userId, body }) =>
  putBrandAssets(userId, body),
);
