import { defineHandler } from '#functions/define-handler';
import { competitorRoutes } from '#functions/route-table/competitors';
import { updateCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(competitorRoutes['competitors/update'], ({ userId, params, body }) =>
  updateCompetitor(userId, params.id, body),
);
