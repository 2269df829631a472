import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { createContent } from '#shared/resources/content/service';

export const handler = defineHandler(collectionRoutes['content/create'], ({ userId, body }) =>
  createContent(userId, body),
);
