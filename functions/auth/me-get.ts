import { authRoutes } from '#functions/route-table/auth';
import { getMe } from '#shared/auth/users';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(authRoutes['auth/me-get'], ({ userId }) => getMe(userId));
