import { fileLink, uploadCreateBody, uploadCreated } from '#shared/documents/upload-schemas';
import type { RouteDef } from '#shared/http/route';
import { idPathParams } from '#shared/resources/fields';

/**
 * Brand voice documents: the browser uploads straight to the document store with a presigned POST, the
 * document worker (functions/documents/worker.ts, not an HTTP route) extracts the text, and the original can be
 * downloaded through a short-lived presigned GET. No file ever passes through API Gateway or a route's Lambda.
 */
export const documentRoutes = {
  // Static path: API Gateway (and the local gateway) prefer it to `/brand-voice-assets/{id}`.
  'brand-voice-assets/upload': {
    method: 'POST',
    path: '/brand-voice-assets/uploads',
    auth: 'jwt',
    summary:
      'Start an upload: the asset (status uploading) and a presigned S3 POST for exactly its object (≤ 50 MiB, 15 minutes; 413 when the declared size is over)',
    tag: 'brand-voice',
    capabilities: ['db', 'documents-upload'],
    body: uploadCreateBody,
    status: 201,
    response: uploadCreated,
  },
  'brand-voice-assets/file': {
    method: 'GET',
    path: '/brand-voice-assets/{id}/file',
    auth: 'jwt',
    summary:
      'A presigned GET (≤ 5 minutes) of the original file, as an attachment; 404 when the asset has none',
    tag: 'brand-voice',
    capabilities: ['db', 'documents-read'],
    params: idPathParams,
    status: 200,
    response: fileLink,
    resource: 'brand_voice_asset',
  },
} as const satisfies Record<string, RouteDef>;
