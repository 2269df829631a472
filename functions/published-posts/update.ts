import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { updatePublishedPost } from '#shared/resources/published-posts/service';

export const handler = defineHandler(collectionRoutes['published-posts/update'], ({ userId, params, body }) =>
  updatePublishedPost(userId, params.id, body),
);
