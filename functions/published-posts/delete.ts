import { defineHandler } from '#functions/define-handler';
import { publishedPostRoutes } from '#functions/route-table/published-posts';
import { deletePublishedPost } from '#shared/resources/published-posts/service';

export const handler = defineHandler(publishedPostRoutes['published-posts/delete'], ({ userId, params }) =>
  deletePublishedPost(userId, params.id),
);
