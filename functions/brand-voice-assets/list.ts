import { defineHandler } from '#functions/define-handler';
import { brandVoiceAssetRoutes } from '#functions/route-table/brand-voice-assets';
import { listBrandVoiceAssets } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(brandVoiceAssetRoutes['brand-voice-assets/list'], ({ userId, query }) =>
  listBrandVoiceAssets(userId, query),
);
