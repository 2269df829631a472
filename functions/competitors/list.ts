import { defineHandler } from '#functions/define-handler';
import { competitorRoutes } from '#functions/route-table/competitors';
import { listCompetitors } from '#shared/resources/competitors/service';

export const handler = defineHandler(competitorRoutes['competitors/list'], ({ userId, query }) =>
  listCompetitors(userId, query),
);
