import { defineHandler } from '#functions/define-handler';
import { publishedPostRoutes } from '#functions/route-table/published-posts';
import { updatePublishedPost } from '#shared/resources/published-posts/service';

export const handler = defineHandler(
  publishedPostRoutes['published-posts/update'],
  ({ userId, params, body }) => updatePublishedPost(userId, params.id, body),
);
