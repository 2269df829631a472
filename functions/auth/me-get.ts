import { defineHandler } from '#functions/define-handler';
import { authRoutes } from '#functions/route-table/auth';
import { getMe } from '#shared/auth/users';

export const handler = defineHandler(authRoutes['auth/me-get'], ({ userId }) => getMe(userId));
