import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { updateCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(collectionRoutes['competitors/update'], ({ userId, params, body }) =>
  updateCompetitor(userId, params.id, body),
);
