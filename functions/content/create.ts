import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { createContent } from '#shared/resources/content/service';

export const handler = defineHandler(routes['content/create'], ({ userId, body }) =>
  createContent(userId, body),
);
