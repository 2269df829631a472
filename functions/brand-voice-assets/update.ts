import { defineHandler } from '#functions/define-handler';
import { brandVoiceAssetRoutes } from '#functions/route-table/brand-voice-assets';
import { updateBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(
  brandVoiceAssetRoutes['brand-voice-assets/update'],
  ({ userId, params, body }) => updateBrandVoiceAsset(userId, params.id, body),
);
