import { brandVoiceImportBody, filesPage, listFilesQuery } from '#shared/cloud-storage/file-schemas';
import { providerParams } from '#shared/cloud-storage/schemas';
import type { RouteDef } from '#shared/http/route';
import { brandVoiceAsset } from '#shared/resources/brand-voice-assets/schemas';

/** Files in the user's connected storage, read through their own connection with refresh on use. */
const tokenFunction = ['db', 'vault', 'providers'] as const;

export const cloudFileRoutes = {
  'cloud-storage/list-files': {
    method: 'GET',
    path: '/cloud-storage/{provider}/files',
    auth: 'jwt',
    summary:
      'One page of a folder in the connected storage (the root without folderId); 409 when the connection needs re-consent',
    tag: 'cloud-storage',
    // The signing key signs and checks the page cursors (bound to user, provider and folder).
    capabilities: [...tokenFunction, 'signing-key'],
    params: providerParams,
    query: listFilesQuery,
    status: 200,
    response: filesPage,
    // A refresh under the row lock (token endpoint ≤ 8 s) plus bounded retries of the listing.
    timeoutSeconds: 25,
  },
  // Static path: API Gateway (and the local gateway) prefer it to `/brand-voice-assets/{id}`.
  'brand-voice-assets/import': {
    method: 'POST',
    path: '/brand-voice-assets/import',
    auth: 'jwt',
    summary:
      'Import a text file or Google Doc (≤ 1 MiB) from connected storage as a brand voice asset (413 too large, 400 not text)',
    tag: 'brand-voice',
    capabilities: tokenFunction,
    body: brandVoiceImportBody,
    status: 201,
    response: brandVoiceAsset,
    timeoutSeconds: 25,
  },
} as const satisfies Record<string, RouteDef>;
