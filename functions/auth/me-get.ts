import { routes } from '#functions/routes';
import { getMe } from '#shared/auth/users';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(routes['auth/me-get'], ({ userId }) => getMe(userId));
