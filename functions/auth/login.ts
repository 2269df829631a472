import { defineHandler } from '#functions/define-handler';
import { authRoutes } from '#functions/route-table/auth';
import { login } from '#shared/auth/service';

export const handler = defineHandler(authRoutes['auth/login'], ({ body }) => login(body));
