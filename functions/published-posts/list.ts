import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { listPublishedPosts } from '#shared/resources/published-posts/service';

export const handler = defineHandler(collectionRoutes['published-posts/list'], ({ userId, query }) =>
  listPublishedPosts(userId, query),
);
