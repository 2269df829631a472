import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { getBrandAssets } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(routes['brand-assets/get'], ({ userId }) => getBrandAssets(userId));
