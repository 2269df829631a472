import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { openApiDocument } from '#shared/http/openapi';

export const handler = defineHandler(routes['openapi/get'], async () => openApiDocument());
