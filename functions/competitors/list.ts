import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { listCompetitors } from '#shared/resources/competitors/service';

export const handler = defineHandler(collectionRoutes['competitors/list'], ({ userId, query }) =>
  listCompetitors(userId, query),
);
