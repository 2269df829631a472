import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { updateBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(
  collectionRoutes['brand-voice-assets/update'],
  ({ userId, params, body }) => updateBrandVoiceAsset(userId, params.id, body),
);
