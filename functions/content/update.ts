import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { updateContent } from '#shared/resources/content/service';

export const handler = defineHandler(collectionRoutes['content/update'], ({ userId, params, body }) =>
  updateContent(userId, params.id, body),
);
