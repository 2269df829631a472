import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { getContent } from '#shared/resources/content/service';

export const handler = defineHandler(routes['content/get'], ({ userId, params }) =>
  getContent(userId, params.id),
);
