import { authRoutes } from '#functions/route-table/auth';
import { confirm } from '#shared/auth/service';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(authRoutes['auth/confirm'], ({ body }) => confirm(body));
