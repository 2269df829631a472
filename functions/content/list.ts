import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { listContent } from '#shared/resources/content/service';

export const handler = defineHandler(collectionRoutes['content/list'], ({ userId, query }) =>
  listContent(userId, query),
);
