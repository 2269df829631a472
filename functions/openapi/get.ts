import { docsRoutes } from '#functions/route-table/docs';
import { defineHandler } from '#shared/http/handler';
import { openApiDocument } from '#shared/http/openapi';

export const handler = defineHandler(docsRoutes['openapi/get'], async () => openApiDocument());
