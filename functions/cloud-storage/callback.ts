import { defineHandler } from '#functions/define-handler';
import { cloudStorageRoutes } from '#functions/route-table/cloud-storage';
import { handleCallback } from '#shared/cloud-storage/oauth/callback';
import { assertVaultConfigured } from '#shared/vault/token-vault';

assertVaultConfigured();

export const handler = defineHandler(cloudStorageRoutes['cloud-storage/callback'], ({ params, query }) =>
  handleCallback(params.provider, query),
);
