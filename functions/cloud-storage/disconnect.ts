import { defineHandler } from '#functions/define-handler';
import { cloudStorageRoutes } from '#functions/route-table/cloud-storage';
import { disconnect } from '#shared/cloud-storage/oauth/disconnect';

export const handler = defineHandler(
  cloudStorageRoutes['cloud-storage/disconnect'],
  ({ userId, params, accessToken }) => disconnect(userId, params.provider, accessToken),
);
