import { defineHandler } from '#functions/define-handler';
import { cloudStorageRoutes } from '#functions/route-table/cloud-storage';
import { startConnect } from '#shared/cloud-storage/oauth/connect';

export const handler = defineHandler(cloudStorageRoutes['cloud-storage/connect'], ({ userId, params }) =>
  startConnect(userId, params.provider),
);
