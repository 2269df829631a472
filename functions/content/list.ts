import { defineHandler } from '#functions/define-handler';
import { contentRoutes } from '#functions/route-table/content';
import { listContent } from '#shared/resources/content/service';

export const handler = defineHandler(contentRoutes['content/list'], ({ userId, query }) =>
  listContent(userId, query),
);
