import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { listPublishedPosts } from '#shared/resources/published-posts/service';

export const handler = defineHandler(collectionRoutes['published-posts/list'], ({ userId, query }) =>
  listPublishedPosts(userId, query),
);
