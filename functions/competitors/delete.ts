import { defineHandler } from '#functions/define-handler';
import { competitorRoutes } from '#functions/route-table/competitors';
import { deleteCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(competitorRoutes['competitors/delete'], ({ userId, params }) =>
  deleteCompetitor(userId, params.id),
);
