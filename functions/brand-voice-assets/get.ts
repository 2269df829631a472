import { defineHandler } from '#functions/define-handler';
import { brandVoiceAssetRoutes } from '#functions/route-table/brand-voice-assets';
import { getBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(brandVoiceAssetRoutes['brand-voice-assets/get'], ({ userId, params }) =>
  getBrandVoiceAsset(userId, params.id),
);
