import { brandRoutes } from '#functions/route-table/brand';
import { defineHandler } from '#shared/http/handler';
import { getBrandAssets } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(brandRoutes['brand-assets/get'], ({ userId }) => getBrandAssets(userId));
