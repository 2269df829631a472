import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { deletePublishedPost } from '#shared/resources/published-posts/service';

export const handler = defineHandler(routes['published-posts/delete'], ({ userId, params }) =>
  deletePublishedPost(userId, params.id),
);
