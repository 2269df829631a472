import { defineHandler } from '#functions/define-handler';
import { routeDocs } from '#functions/route-docs';
import { docsRoutes } from '#functions/route-table/docs';
import { routes } from '#functions/routes';
import { openApiDocument } from '#shared/http/openapi';

/** Built on the first request and kept for the container's life: the route table cannot change. */
let document: ReturnType<typeof openApiDocument> | undefined;

export const handler = defineHandler(docsRoutes['openapi/get'], async () => {
  document ??= openApiDocument(routes, routeDocs);
  return document;
});
