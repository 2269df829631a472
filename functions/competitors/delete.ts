import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { deleteCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(routes['competitors/delete'], ({ userId, params }) =>
  deleteCompetitor(userId, params.id),
);
