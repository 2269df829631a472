import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { getPublishedPost } from '#shared/resources/published-posts/service';

export const handler = defineHandler(routes['published-posts/get'], ({ userId, params }) =>
  getPublishedPost(userId, params.id),
);
