import { authRoutes } from '#functions/route-table/auth';
import { login } from '#shared/auth/service';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(authRoutes['auth/login'], ({ body }) => login(body));
