import { routes } from '#functions/routes';
import { register } from '#shared/auth/service';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(routes['auth/register'], ({ body }) => register(body));
