import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { deleteBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';

export const handler = defineHandler(routes['brand-voice-assets/delete'], ({ userId, params }) =>
  deleteBrandVoiceAsset(userId, params.id),
);
