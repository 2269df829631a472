import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { updatePublishedPost } from '#shared/resources/published-posts/service';

export const handler = defineHandler(routes['published-posts/update'], ({ userId, params, body }) =>
  updatePublishedPost(userId, params.id, body),
);
