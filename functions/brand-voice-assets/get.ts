import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { getBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(routes['brand-voice-assets/get'], ({ userId, params }) =>
  getBrandVoiceAsset(userId, params.id),
);
