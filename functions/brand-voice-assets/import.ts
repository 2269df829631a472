import { defineHandler } from '#functions/define-handler';
import { cloudFileRoutes } from '#functions/route-table/cloud-files';
import { importBrandVoiceAsset } from '#shared/cloud-storage/brand-voice-import';
import { HttpResponse } from '#shared/http/response';

const route = cloudFileRoutes['brand-voice-assets/import'];

export const handler = defineHandler(route, async ({ userId, body, deadline }) => {
  const { status, asset } = await importBrandVoiceAsset(userId, body, { deadline });
  return new HttpResponse(status, { asset });
});
