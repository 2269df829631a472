import { routes } from '#functions/routes';
import { handleCallback } from '#shared/cloud-storage/oauth';
import { defineHandler } from '#shared/http/handler';
import { assertVaultConfigured } from '#shared/vault/token-vault';

assertVaultConfigured();

export const handler = defineHandler(routes['cloud-storage/callback'], ({ params, query }) =>
  handleCallback(params.provider, query),
);
