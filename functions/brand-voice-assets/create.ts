import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { createBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(collectionRoutes['brand-voice-assets/create'], ({ userId, body }) =>
  createBrandVoiceAsset(userId, body),
);
