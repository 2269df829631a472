import { BadGateway, BadRequest, NotFound, PayloadTooLarge } from '#shared/errors';
import { ProviderError } from '#shared/providers/errors';
import { FileContentError, isValidItemId, PageTokenError } from '#shared/providers/files';
import type { Provider } from '#shared/providers/types';
import type { FilesPage, ListFilesQuery } from './file-schemas.ts';
import { type SessionOptions, withProviderSession } from './session.ts';

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

const invalidId = (path: 'folderId' | 'fileId') =>
  new BadRequest(`The ${path} is not a valid id for this provider.`, [{ path, message: 'Invalid id' }]);
const invalidPageToken = () =>
  new BadRequest('The page token is invalid or has expired.', [
    { path: 'pageToken', message: 'Invalid page token' },
  ]);

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

/**
 * Words the failures the session leaves to its caller: what was not found, which parameter was wrong, a file
 * that cannot be imported. Everything else is already a problem.
 */
export function fileProblem(error: unknown, context: { what: 'Folder' | 'File'; paging?: boolean }): never {
  if (error instanceof PageTokenError) throw invalidPageToken();
  if (error instanceof FileContentError) {
    if (error.reason === 'too_large')
      throw new PayloadTooLarge('The file is larger than 1 MiB, the limit for imported text.');
    if (error.reason === 'not_a_file')
      throw new BadRequest('The fileId refers to a folder, not a file.', [
        { path: 'fileId', message: 'Not a file' },
      ]);
    throw new BadRequest('Only UTF-8 text files and Google Docs can be imported; this file is not text.', [
      { path: 'fileId', message: 'Not a text file' },
    ]);
  }
  if (error instanceof ProviderError) {
    if (error.kind === 'not_found') throw new NotFound(context.what);
    if (error.code === 'not_folder')
      throw new BadRequest('The folderId refers to a file, not a folder.', [
        { path: 'folderId', message: 'Not a folder' },
      ]);
    if (error.code === 'not_file')
      throw new BadRequest('The fileId refers to a folder, not a file.', [
        { path: 'fileId', message: 'Not a file' },
      ]);
    // The provider refused the continuation (expired cursor, reset listing).
    if (context.paging && error.kind === 'access') throw invalidPageToken();
    throw new BadGateway('The storage provider refused the request.');
  }
  throw error;
}

/** One page of a folder's children (the root when no folderId is given). */
export async function listCloudFiles(
  userId: string,
  provider: Provider,
  query: ListFilesQuery,
  options: SessionOptions = {},
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

export { invalidId };
