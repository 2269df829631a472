import { defineHandler } from '#functions/define-handler';
import { publishedPostRoutes } from '#functions/route-table/published-posts';
import { getPublishedPost } from '#shared/resources/published-posts/service';

export const handler = defineHandler(publishedPostRoutes['published-posts/get'], ({ userId, params }) =>
  getPublishedPost(userId, params.id),
);
