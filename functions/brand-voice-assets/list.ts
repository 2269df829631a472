import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { listBrandVoiceAssets } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(routes['brand-voice-assets/list'], ({ userId, query }) =>
  listBrandVoiceAssets(userId, query),
);
