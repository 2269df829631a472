import { authRoutes } from '#functions/route-table/auth';
import { refresh } from '#shared/auth/service';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(authRoutes['auth/refresh'], ({ body }) => refresh(body));
