import { defineHandler } from '#functions/define-handler';
import { contentRoutes } from '#functions/route-table/content';
import { getContent } from '#shared/resources/content/service';

export const handler = defineHandler(contentRoutes['content/get'], ({ userId, params }) =>
  getContent(userId, params.id),
);
