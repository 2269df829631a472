import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { listContent } from '#shared/resources/content/service';

export const handler = defineHandler(collectionRoutes['content/list'], ({ userId, query }) =>
  listContent(userId, query),
);
