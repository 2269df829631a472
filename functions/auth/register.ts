import { defineHandler } from '#functions/define-handler';
import { authRoutes } from '#functions/route-table/auth';
import { register } from '#shared/auth/service';

export const handler = defineHandler(authRoutes['auth/register'], ({ body }) => register(body));
