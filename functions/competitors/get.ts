import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { getCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(routes['competitors/get'], ({ userId, params }) =>
  getCompetitor(userId, params.id),
);
