import { defineHandler } from '#functions/define-handler';
import { contentRoutes } from '#functions/route-table/content';
import { deleteContent } from '#shared/resources/content/service';

export const handler = defineHandler(contentRoutes['content/delete'], ({ userId, params }) =>
  deleteContent(userId, params.id),
);
