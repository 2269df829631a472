import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { deleteBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(collectionRoutes['brand-voice-assets/delete'], ({ userId, params }) =>
  deleteBrandVoiceAsset(userId, params.id),
);
