import { routes } from '#functions/routes';
import { refresh } from '#shared/auth/service';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(routes['auth/refresh'], ({ body }) => refresh(body));
