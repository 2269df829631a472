import { authRoutes } from '#functions/route-table/auth';
import { deleteAccount } from '#shared/auth/delete-account';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(authRoutes['auth/me-delete'], ({ userId, accessToken }) =>
  deleteAccount(userId, accessToken!),
);
