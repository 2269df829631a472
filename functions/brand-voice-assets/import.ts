import { defineHandler } from '#functions/define-handler';
import { cloudFileRoutes } from '#functions/route-table/cloud-files';
import { importBrandVoiceAsset } from '#shared/cloud-storage/brand-voice-import';
import { requestDeadline } from '#shared/cloud-storage/provider-session';
import { assertVaultConfigured } from '#shared/vault/token-vault';

assertVaultConfigured();

const route = cloudFileRoutes['brand-voice-assets/import'];

export const handler = defineHandler(route, ({ userId, body, event }) =>
  importBrandVoiceAsset(userId, body, { deadline: requestDeadline(event, route) }),
);
