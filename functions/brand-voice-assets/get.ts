import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { getBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(collectionRoutes['brand-voice-assets/get'], ({ userId, params }) =>
  getBrandVoiceAsset(userId, params.id),
);
