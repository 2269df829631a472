import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { createCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(collectionRoutes['competitors/create'], ({ userId, body }) =>
  createCompetitor(userId, body),
);
