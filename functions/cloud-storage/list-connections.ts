import { defineHandler } from '#functions/define-handler';
import { cloudStorageRoutes } from '#functions/route-table/cloud-storage';
import { getConnections } from '#shared/cloud-storage/connections';

export const handler = defineHandler(cloudStorageRoutes['cloud-storage/list-connections'], ({ userId }) =>
  getConnections(userId),
);
