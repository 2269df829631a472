import { defineHandler } from '#functions/define-handler';
import { documentRoutes } from '#functions/route-table/documents';
import { createUpload } from '#shared/documents/service';

export const handler = defineHandler(documentRoutes['brand-voice-assets/upload'], ({ userId, body }) =>
  createUpload(userId, body),
);
