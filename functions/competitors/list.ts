import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { listCompetitors } from '#shared/resources/competitors/service';

export const handler = defineHandler(collectionRoutes['competitors/list'], ({ userId, query }) =>
  listCompetitors(userId, query),
);
