import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { createPublishedPost } from '#shared/resources/published-posts/service';

export const handler = defineHandler(routes['published-posts/create'], ({ userId, body }) =>
  createPublishedPost(userId, body),
);
