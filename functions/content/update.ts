import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { updateContent } from '#shared/resources/content/service';

export const handler = defineHandler(collectionRoutes['content/update'], ({ userId, params, body }) =>
  updateContent(userId, params.id, body),
);
