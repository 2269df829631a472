import {
  brandVoiceImportBody,
  brandVoiceImported,
  filesPage,
  listFilesQuery,
} from '#shared/cloud-storage/file-schemas';
import { providerParams } from '#shared/cloud-storage/schemas';
import type { RouteDef } from '#shared/http/route';

/** Files in the user's connected storage, read through their own connection with refresh on use. */
const tokenFunction = ['db', 'vault', 'providers'] as const;

export const cloudFileRoutes = {
  'cloud-storage/list-files': {
    method: 'GET',
    path: '/cloud-storage/{provider}/files',
    auth: 'jwt',
    summary:
      'One page of a folder in the connected storage (the root without folderId; on Google Drive the shared drives follow My Drive’s items, marked sharedDrive, and shortcuts are listed as their targets); 409 when the connection needs re-consent',
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
      'Import a file (≤ 50 MiB; Google Docs, Slides and Sheets exported) from connected storage: 202 with the asset (processing) while the document worker copies and extracts it',
    tag: 'brand-voice',
    // The file's metadata is read here (folder, type, size); the copy is queued for the document worker.
    capabilities: [...tokenFunction, 'documents-import'],
    body: brandVoiceImportBody,
    status: 202,
    alsoAnswers: {
      200: 'The file was imported before: that asset (re-imported, status processing, when the provider’s revision changed)',
    },
    response: brandVoiceImported,
    timeoutSeconds: 25,
  },
} as const satisfies Record<string, RouteDef>;
