import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { createBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(routes['brand-voice-assets/create'], ({ userId, body }) =>
  createBrandVoiceAsset(userId, body),
);
