import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { getBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(collectionRoutes['brand-voice-assets/get'], ({ userId, params }) =>
  getBrandVoiceAsset(userId, params.id),
);
