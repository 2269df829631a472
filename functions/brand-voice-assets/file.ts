import { defineHandler } from '#functions/define-handler';
import { documentRoutes } from '#functions/route-table/documents';
import { getAssetFileLink } from '#shared/documents/service';

export const handler = defineHandler(documentRoutes['brand-voice-assets/file'], ({ userId, params }) =>
  getAssetFileLink(userId, params.id),
);
