import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { deleteCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(collectionRoutes['competitors/delete'], ({ userId, params }) =>
  deleteCompetitor(userId, params.id),
);
