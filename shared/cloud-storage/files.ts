import { isValidItemId } from '#shared/providers/file-content';
import type { Provider } from '#shared/providers/types';
import type { FilesPage, ListFilesQuery } from './file-schemas.ts';
import { fileProblem, invalidId, invalidPageToken } from './problems.ts';
import { type SessionOptions, withProviderSession } from './provider-session.ts';

/**
 * Our page token wraps the provider's continuation (Drive page token, Graph nextLink, Dropbox cursor) with the
 * provider and folder it belongs to, so it stays opaque to clients and cannot be replayed on another listing.
 */
interface PageTokenEnvelope {
  v: 1;
  p: Provider;
  f: string | null;
  t: string;
}

export function encodePageToken(provider: Provider, folderId: string | undefined, token: string): string {
  const envelope: PageTokenEnvelope = { v: 1, p: provider, f: folderId ?? null, t: token };
  return Buffer.from(JSON.stringify(envelope)).toString('base64url');
}

/** The provider's continuation inside one of our page tokens, or 400 when it is not one for this listing. */
export function decodePageToken(provider: Provider, folderId: string | undefined, raw: string): string {
  let envelope: Partial<PageTokenEnvelope> | undefined;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw new Error('not base64url');
    envelope = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PageTokenEnvelope>;
  } catch {
    throw invalidPageToken();
  }
  if (
    envelope?.v !== 1 ||
    envelope.p !== provider ||
    envelope.f !== (folderId ?? null) ||
    typeof envelope.t !== 'string' ||
    envelope.t.length === 0
  ) {
    throw invalidPageToken();
  }
  return envelope.t;
}

/** One page of a folder's children (the root when no folderId is given). */
export async function listCloudFiles(
  userId: string,
  provider: Provider,
  query: ListFilesQuery,
  options: SessionOptions,
): Promise<FilesPage> {
  // Shape problems are 400 before the connection is looked at (400 comes before 404).
  if (query.folderId !== undefined && !isValidItemId(provider, query.folderId)) throw invalidId('folderId');
  const continuation =
    query.pageToken === undefined ? undefined : decodePageToken(provider, query.folderId, query.pageToken);
  const page = await withProviderSession(
    userId,
    provider,
    (files) =>
      files.listFolder({ folderId: query.folderId, pageToken: continuation, pageSize: query.pageSize }),
    options,
  ).catch((error: unknown) => fileProblem(error, { what: 'Folder', paging: continuation !== undefined }));
  return {
    files: page.files,
    nextPageToken: page.nextPageToken ? encodePageToken(provider, query.folderId, page.nextPageToken) : null,
  };
}
