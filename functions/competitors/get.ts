import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { getCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(collectionRoutes['competitors/get'], ({ userId, params }) =>
  getCompetitor(userId, params.id),
);
