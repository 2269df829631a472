import { defineHandler } from '#functions/define-handler';
import { competitorRoutes } from '#functions/route-table/competitors';
import { createCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(competitorRoutes['competitors/create'], ({ userId, body }) =>
  createCompetitor(userId, body),
);
