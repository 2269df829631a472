import { defineHandler } from '#functions/define-handler';
import { cloudStorageRoutes } from '#functions/route-table/cloud-storage';
import { confirmConnection } from '#shared/cloud-storage/oauth/confirm';

export const handler = defineHandler(
  cloudStorageRoutes['cloud-storage/confirm'],
  ({ userId, params, body }) => confirmConnection(userId, params.provider, body.ticket),
);
