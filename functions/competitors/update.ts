import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { updateCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(collectionRoutes['competitors/update'], ({ userId, params, body }) =>
  updateCompetitor(userId, params.id, body),
);
