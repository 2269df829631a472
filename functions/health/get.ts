import { defineHandler } from '#functions/define-handler';
import { metaRoutes } from '#functions/route-table/meta';
import { checkHealth } from '#shared/health';

export const handler = defineHandler(metaRoutes['health/get'], () => checkHealth());
