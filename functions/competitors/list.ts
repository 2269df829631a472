import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { listCompetitors } from '#shared/resources/competitors/service';

export const handler = defineHandler(routes['competitors/list'], ({ userId, query }) =>
  listCompetitors(userId, query),
);
