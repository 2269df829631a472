import { defineHandler } from '#functions/define-handler';
import { brandRoutes } from '#functions/route-table/brand';
import { getBrandAssets } from '#shared/resources/brand-strategy/service';

export const handler = defineHandler(brandRoutes['brand-assets/get'], ({ userId }) => getBrandAssets(userId));
