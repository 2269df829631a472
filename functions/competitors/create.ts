import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { createCompetitor } from '#shared/resources/competitors/service';

export const handler = defineHandler(routes['competitors/create'], ({ userId, body }) =>
  createCompetitor(userId, body),
);
