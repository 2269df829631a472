import { defineHandler } from '#functions/define-handler';
import { publishedPostRoutes } from '#functions/route-table/published-posts';
import { createPublishedPost } from '#shared/resources/published-posts/service';

export const handler = defineHandler(publishedPostRoutes['published-posts/create'], ({ userId, body }) =>
  createPublishedPost(userId, body),
);
