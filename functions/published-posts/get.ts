import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { getPublishedPost } from '#shared/resources/published-posts/service';

export const handler = defineHandler(collectionRoutes['published-posts/get'], ({ userId, params }) =>
  getPublishedPost(userId, params.id),
);
