import { defineHandler } from '#functions/define-handler';
import { cloudFileRoutes } from '#functions/route-table/cloud-files';
import { importBrandVoiceAsset } from '#shared/cloud-storage/brand-voice-import';

const route = cloudFileRoutes['brand-voice-assets/import'];

export const handler = defineHandler(route, ({ userId, body, deadline }) =>
  importBrandVoiceAsset(userId, body, { deadline }),
);
