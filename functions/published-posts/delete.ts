import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { deletePublishedPost } from '#shared/resources/published-posts/service';

export const handler = defineHandler(collectionRoutes['published-posts/delete'], ({ userId, params }) =>
  deletePublishedPost(userId, params.id),
);
