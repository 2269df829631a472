import { routes } from '#functions/routes';
import { checkHealth } from '#shared/health';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(routes['health/get'], () => checkHealth());
