import { cloudStorageRoutes } from '#functions/route-table/cloud-storage';
import { getConnections } from '#shared/cloud-storage/connections';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(cloudStorageRoutes['cloud-storage/list-connections'], ({ userId }) =>
  getConnections(userId),
);
