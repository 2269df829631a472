import { defineHandler } from '#functions/define-handler';
import { authRoutes } from '#functions/route-table/auth';
import { refresh } from '#shared/auth/service';

export const handler = defineHandler(authRoutes['auth/refresh'], ({ body }) => refresh(body));
