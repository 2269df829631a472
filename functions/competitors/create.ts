import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { createCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(collectionRoutes['competitors/create'], ({ userId, body }) =>
  createCompetitor(userId, body),
);
