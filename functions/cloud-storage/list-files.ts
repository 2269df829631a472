import { defineHandler } from '#functions/define-handler';
import { cloudFileRoutes } from '#functions/route-table/cloud-files';
import { listCloudFiles } from '#shared/cloud-storage/files';
import { requestDeadline } from '#shared/cloud-storage/provider-session';
import { assertVaultConfigured } from '#shared/vault/token-vault';

assertVaultConfigured();

const route = cloudFileRoutes['cloud-storage/list-files'];

export const handler = defineHandler(route, ({ userId, params, query, event }) =>
  listCloudFiles(userId, params.provider, query, { deadline: requestDeadline(event, route) }),
);
