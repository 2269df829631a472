import { defineHandler } from '#functions/define-handler';
import { authRoutes } from '#functions/route-table/auth';
import { confirm } from '#shared/auth/service';

export const handler = defineHandler(authRoutes['auth/confirm'], ({ body }) => confirm(body));
