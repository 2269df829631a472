import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { listPublishedPosts } from '#shared/resources/published-posts/service';

export const handler = defineHandler(routes['published-posts/list'], ({ userId, query }) =>
  listPublishedPosts(userId, query),
);
