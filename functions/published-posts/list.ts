import { defineHandler } from '#functions/define-handler';
import { publishedPostRoutes } from '#functions/route-table/published-posts';
import { listPublishedPosts } from '#shared/resources/published-posts/service';

export const handler = defineHandler(publishedPostRoutes['published-posts/list'], ({ userId, query }) =>
  listPublishedPosts(userId, query),
);
