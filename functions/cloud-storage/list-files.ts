import { defineHandler } from '#functions/define-handler';
import { cloudFileRoutes } from '#functions/route-table/cloud-files';
import { listCloudFiles } from '#shared/cloud-storage/files';

const route = cloudFileRoutes['cloud-storage/list-files'];

export const handler = defineHandler(route, ({ userId, params, query, deadline }) =>
  listCloudFiles(userId, params.provider, query, { deadline }),
);
