import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { updateBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(routes['brand-voice-assets/update'], ({ userId, params, body }) =>
  updateBrandVoiceAsset(userId, params.id, body),
);
