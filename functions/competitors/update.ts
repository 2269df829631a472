import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { updateCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(routes['competitors/update'], ({ userId, params, body }) =>
  updateCompetitor(userId, params.id, body),
);
