import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { listContent } from '#shared/resources/content/service';

export const handler = defineHandler(routes['content/list'], ({ userId, query }) =>
  listContent(userId, query),
);
