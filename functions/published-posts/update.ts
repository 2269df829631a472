import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { updatePublishedPost } from '#shared/resources/published-posts/service';

export const handler = defineHandler(collectionRoutes['published-posts/update'], ({ userId, params, body }) =>
  updatePublishedPost(userId, params.id, body),
);
