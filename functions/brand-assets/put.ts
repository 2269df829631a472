import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { putBrandAssets } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(routes['brand-assets/put'], ({ userId, body }) =>
  putBrandAssets(userId, body),
);
