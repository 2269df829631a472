import { defineHandler } from '#functions/define-handler';
import { competitorRoutes } from '#functions/route-table/competitors';
import { getCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(competitorRoutes['competitors/get'], ({ userId, params }) =>
  getCompetitor(userId, params.id),
);
