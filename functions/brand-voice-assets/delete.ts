import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { deleteBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(collectionRoutes['brand-voice-assets/delete'], ({ userId, params }) =>
  deleteBrandVoiceAsset(userId, params.id),
);
