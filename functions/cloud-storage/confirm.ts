import { routes } from '#functions/routes';
import { confirmConnection } from '#shared/cloud-storage/oauth';
import { defineHandler } from '#shared/http/handler';
import { assertVaultConfigured } from '#shared/vault/token-vault';

assertVaultConfigured();

export const handler = defineHandler(routes['cloud-storage/confirm'], ({ userId, params, body }) =>
  confirmConnection(userId, params.provider, body.ticket),
);
