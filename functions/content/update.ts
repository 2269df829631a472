import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { updateContent } from '#shared/resources/content/service';

export const handler = defineHandler(routes['content/update'], ({ userId, params, body }) =>
  updateContent(userId, params.id, body),
);
