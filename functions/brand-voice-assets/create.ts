import { defineHandler } from '#functions/define-handler';
import { brandVoiceAssetRoutes } from '#functions/route-table/brand-voice-assets';
import { createBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(brandVoiceAssetRoutes['brand-voice-assets/create'], ({ userId, body }) =>
  createBrandVoiceAsset(userId, body),
);
