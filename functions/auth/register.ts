import { authRoutes } from '#functions/route-table/auth';
import { register } from '#shared/auth/service';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(authRoutes['auth/register'], ({ body }) => register(body));
