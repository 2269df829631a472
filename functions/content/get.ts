import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { getContent } from '#shared/resources/content/service';

export const handler = defineHandler(collectionRoutes['content/get'], ({ userId, params }) =>
  getContent(userId, params.id),
);
