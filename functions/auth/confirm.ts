import { routes } from '#functions/routes';
import { confirm } from '#shared/auth/service';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(routes['auth/confirm'], ({ body }) => confirm(body));
