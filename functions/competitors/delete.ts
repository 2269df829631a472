import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { deleteCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(collectionRoutes['competitors/delete'], ({ userId, params }) =>
  deleteCompetitor(userId, params.id),
);
