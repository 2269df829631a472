import { metaRoutes } from '#functions/route-table/meta';
import { checkHealth } from '#shared/health';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(metaRoutes['health/get'], () => checkHealth());
