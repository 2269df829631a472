import { routes } from '#functions/routes';
import { disconnect } from '#shared/cloud-storage/oauth';
import { defineHandler } from '#shared/http/handler';
import { assertVaultConfigured } from '#shared/vault/token-vault';

assertVaultConfigured();

export const handler = defineHandler(routes['cloud-storage/disconnect'], ({ userId, params }) =>
  disconnect(userId, params.provider),
);
