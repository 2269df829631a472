import { isImportable } from '#shared/documents/importable';
import { isValidItemId } from '#shared/providers/file-content';
import type { Provider } from '#shared/providers/types';
import { sign, verify } from '#shared/signing/key';
import { coalesce } from './coalesce.ts';
import type { FilesPage, ListFilesQuery } from './file-schemas.ts';
import { fileProblem, invalidId, invalidPageToken } from './problems.ts';
import { type SessionOptions, withProviderSession } from './provider-session.ts';

/**
 * Our page token wraps the provider's continuation (Drive page token, Graph nextLink, Dropbox cursor) and is
 * signed with the server's signing key (HMAC-SHA256) over the user, provider and folder it was issued for and
 * its expiry: clients cannot read meaning into it, forge one, alter one, or replay one on another user's,
 * provider's or folder's listing. Shape: `<base64url JSON { v, t, e }>.<base64url MAC>`.
 */
interface PageTokenEnvelope {
  v: 2;
  /** The provider's continuation. */
  t: string;
  /** Expiry, seconds since the epoch. */
  e: number;
}

/** How long a page token is honoured: long enough to page through any folder, short enough not to linger. */
export const PAGE_TOKEN_TTL_SECONDS = 24 * 60 * 60;

const PAGE_TOKEN = /^([A-Za-z0-9_-]{1,8000})\.([A-Za-z0-9_-]{43})$/;

const macParts = (userId: string, provider: Provider, folderId: string | undefined, body: string) => [
  'page-token/v2',
  userId,
  provider,
  folderId ?? '',
  body,
];

export async function encodePageToken(
  userId: string,
  provider: Provider,
  folderId: string | undefined,
  token: string,
  now = Date.now(),
): Promise<string> {
  const envelope: PageTokenEnvelope = { v: 2, t: token, e: Math.floor(now / 1000) + PAGE_TOKEN_TTL_SECONDS };
  const body = Buffer.from(JSON.stringify(envelope)).toString('base64url');
  const tag = await sign('page-cursor', macParts(userId, provider, folderId, body));
  return `${body}.${tag.toString('base64url')}`;
}

/**
 * The provider's continuation inside one of our page tokens, or 400 naming `cursor` when it is not one this
 * server issued for this user, provider and folder (forged, altered, expired, or from another listing).
 */
export async function decodePageToken(
  userId: string,
  provider: Provider,
  folderId: string | undefined,
  raw: string,
  now = Date.now(),
): Promise<string> {
  const match = PAGE_TOKEN.exec(raw);
  if (!match) throw invalidPageToken();
  const [, body, tag] = match as unknown as [string, string, string];
  const mac = Buffer.from(tag, 'base64url');
  // Exactly the spelling we issued (base64url's last character has spare bits), then the signature: nothing of
  // an unsigned token is parsed.
  if (mac.toString('base64url') !== tag) throw invalidPageToken();
  if (!(await verify('page-cursor', macParts(userId, provider, folderId, body), mac)))
    throw invalidPageToken();
  let envelope: Partial<PageTokenEnvelope> | undefined;
  try {
    envelope = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<PageTokenEnvelope>;
  } catch {
    throw invalidPageToken();
  }
  if (
    envelope?.v !== 2 ||
    typeof envelope.t !== 'string' ||
    envelope.t.length === 0 ||
    typeof envelope.e !== 'number' ||
    envelope.e * 1000 <= now
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
    query.cursor === undefined
      ? undefined
      : await decodePageToken(userId, provider, query.folderId, query.cursor);
  // The same listing already in flight for this user is awaited, not asked again (coalesce.ts).
  const key = JSON.stringify([userId, provider, query.folderId ?? null, continuation ?? null, query.limit]);
  const page = await coalesce(key, () =>
    withProviderSession(
      userId,
      provider,
      (files) =>
        files.listFolder({ folderId: query.folderId, pageToken: continuation, pageSize: query.limit }),
      options,
    ),
  ).catch((error: unknown) => fileProblem(error, { what: 'Folder', paging: continuation !== undefined }));
  return {
    items: page.files.map((file) => ({ ...file, importable: isImportable(file) })),
    nextCursor: page.nextPageToken
      ? await encodePageToken(userId, provider, query.folderId, page.nextPageToken)
      : null,
  };
}
