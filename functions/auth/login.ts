import { routes } from '#functions/routes';
import { login } from '#shared/auth/service';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(routes['auth/login'], ({ body }) => login(body));
