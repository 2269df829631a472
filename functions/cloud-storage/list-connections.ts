import { routes } from '#functions/routes';
import { getConnections } from '#shared/cloud-storage/connections';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(routes['cloud-storage/list-connections'], ({ userId }) =>
  getConnections(userId),
);
