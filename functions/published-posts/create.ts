import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { createPublishedPost } from '#shared/resources/published-posts/service';

export const handler = defineHandler(collectionRoutes['published-posts/create'], ({ userId, body }) =>
  createPublishedPost(userId, body),
);
