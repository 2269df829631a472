import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { listBrandVoiceAssets } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(collectionRoutes['brand-voice-assets/list'], ({ userId, query }) =>
  listBrandVoiceAssets(userId, query),
);
