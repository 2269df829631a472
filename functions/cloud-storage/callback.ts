import { defineHandler } from '#functions/define-handler';
import { cloudStorageRoutes } from '#functions/route-table/cloud-storage';
import { handleCallback } from '#shared/cloud-storage/oauth/callback';

export const handler = defineHandler(cloudStorageRoutes['cloud-storage/callback'], ({ params, query }) =>
  handleCallback(params.provider, query),
);
