import { routes } from '#functions/routes';
import { deleteMe } from '#shared/auth/users';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(routes['auth/me-delete'], ({ userId, accessToken }) =>
  deleteMe(userId, accessToken!),
);
