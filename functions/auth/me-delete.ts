import { defineHandler } from '#functions/define-handler';
import { authRoutes } from '#functions/route-table/auth';
import { deleteAccount } from '#shared/auth/delete-account';

export const handler = defineHandler(authRoutes['auth/me-delete'], ({ userId, accessToken }) =>
  deleteAccount(userId, accessToken),
);
