import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { deleteContent } from '#shared/resources/content/service';

export const handler = defineHandler(routes['content/delete'], ({ userId, params }) =>
  deleteContent(userId, params.id),
);
