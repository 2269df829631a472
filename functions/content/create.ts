import { defineHandler } from '#functions/define-handler';
import { contentRoutes } from '#functions/route-table/content';
import { createContent } from '#shared/resources/content/service';

export const handler = defineHandler(contentRoutes['content/create'], ({ userId, body }) =>
  createContent(userId, body),
);
