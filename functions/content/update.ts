import { defineHandler } from '#functions/define-handler';
import { contentRoutes } from '#functions/route-table/content';
import { updateContent } from '#shared/resources/content/service';

export const handler = defineHandler(contentRoutes['content/update'], ({ userId, params, body }) =>
  updateContent(userId, params.id, body),
);
