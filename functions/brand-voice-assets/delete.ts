import { defineHandler } from '#functions/define-handler';
import { brandVoiceAssetRoutes } from '#functions/route-table/brand-voice-assets';
import { deleteBrandVoiceAsset } from '#shared/resources/brand-voice-assets/delete';

export const handler = defineHandler(
  brandVoiceAssetRoutes['brand-voice-assets/delete'],
  ({ userId, params }) => deleteBrandVoiceAsset(userId, params.id),
);
