import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { deleteContent } from '#shared/resources/content/service';

export const handler = defineHandler(collectionRoutes['content/delete'], ({ userId, params }) =>
  deleteContent(userId, params.id),
);
