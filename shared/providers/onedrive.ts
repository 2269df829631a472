import { graphClient } from './adapters/sdk-setup.ts';
import { providerEndpoints } from './config.ts';
import { ProviderError } from './errors.ts';
import { isValidItemId, PageTokenError } from './file-content.ts';
import type { CloudFile, ProviderFiles, ProviderFilesOptions } from './types.ts';

/** A Graph driveItem with the properties DRIVE_ITEM_SELECT asks for. */
export interface DriveItem {
  id: string;
  name: string;
  size?: number;
  lastModifiedDateTime?: string;
  webUrl?: string;
  parentReference?: { id?: string };
  folder?: unknown;
  file?: { mimeType?: string };
  cTag?: string;
  eTag?: string;
}

/** What every item request selects: what toCloudFile maps. */
export const DRIVE_ITEM_SELECT = [
  'id',
  'name',
  'size',
  'lastModifiedDateTime',
  'webUrl',
  'parentReference',
  'folder',
  'file',
  'cTag',
  'eTag',
];

/** A driveItem as the API's CloudFile (listings and imports alike). */
export function toCloudFile(item: DriveItem): CloudFile {
  const isFolder = item.folder !== undefined && item.folder !== null;
  return {
    id: item.id,
    name: item.name,
    isFolder,
    mimeType: item.file?.mimeType ?? null,
    // A folder's `size` is the sum of its contents; the API reports sizes of files only.
    size: !isFolder && typeof item.size === 'number' ? item.size : null,
    modifiedAt: item.lastModifiedDateTime ?? null,
    webUrl: item.webUrl ?? null,
    parentId: item.parentReference?.id ?? null,
    // cTag changes with the content only; eTag with any change.
    revision: item.cTag ?? item.eTag ?? null,
  };
}

/** The caller's own drive as Graph names it (GET /me/drive): its id and its owner's user id. */
export interface OwnDrive {
  id: string;
  ownerId: string | null;
}

/** A next-page link that passed the checks: rebuilt from its parts, and which address of the drive it uses. */
export interface GraphLink {
  href: string;
  /** `me`: /me/drive/…; otherwise the drive id or user id the link names, to compare with the caller's own. */
  drive: { kind: 'me' } | { kind: 'drives'; id: string } | { kind: 'users'; id: string };
}

const DRIVE_OR_USER_ID = /^[A-Za-z0-9!._-]{1,256}$/;

/**
 * Checks a Graph `@odata.nextLink` and rebuilds it from its checked parts. Graph documents several addresses of
 * the same children listing, and answers with any of them (/me/drive/…, /drives/{drive-id}/…,
 * /users/{user-id}/drive/…; onedrive-api-docs #774):
 *
 *   {graph}/v1.0/{me/drive | drives/{drive-id} | users/{user-id}/drive}/{root | items/{item-id}}/children?…
 *
 * Anything else is refused (PageTokenError): another scheme, host, port or version (the Graph client attaches the
 * bearer to the configured host, so nothing else may ever be requested), credentials in the URL, a fragment, a
 * path the URL parser would rewrite (`..`, `%2e%2e`), a segment that decodes to `.`/`..` or contains a separator
 * (`..%2f`, `%5c`) or a control character, and ids outside their alphabets. Whether a drive or user id is the
 * caller's own is for inOwnDrive(): only Graph can tell (GET /me/drive).
 */
export function parseGraphLink(link: string): GraphLink {
  const base = new URL(providerEndpoints().onedrive.graphBaseUrl);
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new PageTokenError();
  }
  if (
    url.protocol !== 'https:' ||
    url.origin !== base.origin ||
    url.username ||
    url.password ||
    url.hash ||
    link.includes('#')
  ) {
    throw new PageTokenError();
  }
  // The path exactly as sent: the URL parser resolves dot segments (also percent-encoded ones) and re-encodes,
  // so a path it changed is a path we did not check.
  const rawPath = link.slice(url.origin.length).split(/[?#]/, 1)[0]!;
  const prefix = `${base.pathname.replace(/\/?$/, '/')}v1.0/`;
  if (rawPath !== url.pathname || !rawPath.startsWith(prefix)) throw new PageTokenError();
  const segments = rawPath
    .slice(prefix.length)
    .split('/')
    .map((raw) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(raw);
      } catch {
        throw new PageTokenError();
      }
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
      if (decoded === '' || decoded === '.' || decoded === '..' || /[/\\%\u0000-\u001f\u007f]/.test(decoded))
        throw new PageTokenError();
      return decoded;
    });

  let drive: GraphLink['drive'];
  let rest: string[];
  if (segments[0] === 'me' && segments[1] === 'drive') {
    drive = { kind: 'me' };
    rest = segments.slice(2);
  } else if (segments[0] === 'drives' && segments[1] !== undefined && DRIVE_OR_USER_ID.test(segments[1])) {
    drive = { kind: 'drives', id: segments[1] };
    rest = segments.slice(2);
  } else if (
    segments[0] === 'users' &&
    segments[1] !== undefined &&
    DRIVE_OR_USER_ID.test(segments[1]) &&
    segments[2] === 'drive'
  ) {
    drive = { kind: 'users', id: segments[1] };
    rest = segments.slice(3);
  } else {
    throw new PageTokenError();
  }
  const children =
    (rest.length === 2 && rest[0] === 'root' && rest[1] === 'children') ||
    (rest.length === 3 &&
      rest[0] === 'items' &&
      isValidItemId('onedrive', rest[1]!) &&
      rest[2] === 'children');
  if (!children) throw new PageTokenError();
  const path = [...segments.slice(0, segments.length - rest.length), ...rest]
    .map(encodeURIComponent)
    .join('/');
  return { href: `${url.origin}${prefix}${path}${url.search}`, drive };
}

/** Whether the link addresses the caller's own drive (drive ids compared as Graph spells them, in any case). */
export function inOwnDrive(link: GraphLink, own: OwnDrive | undefined): boolean {
  switch (link.drive.kind) {
    case 'me':
      return true;
    case 'drives':
      return own !== undefined && link.drive.id.toLowerCase() === own.id.toLowerCase();
    case 'users':
      return own?.ownerId != null && link.drive.id.toLowerCase() === own.ownerId.toLowerCase();
  }
}

/**
 * Our continuation of a OneDrive listing: the next link, and the caller's drive once it was looked up (so a
 * listing asks Graph for it at most once, when a link first names the drive by id).
 */
interface Continuation {
  l: string;
  d?: OwnDrive;
}

function readContinuation(token: string): Continuation {
  let parsed: Partial<Continuation>;
  try {
    parsed = JSON.parse(token) as Partial<Continuation>;
  } catch {
    throw new PageTokenError();
  }
  const d = parsed?.d;
  if (
    typeof parsed?.l !== 'string' ||
    (d !== undefined && (typeof d?.id !== 'string' || !(d.ownerId === null || typeof d.ownerId === 'string')))
  )
    throw new PageTokenError();
  return { l: parsed.l, ...(d ? { d: { id: d.id, ownerId: d.ownerId } } : {}) };
}

/** Graph answered with a next link outside the caller's drive (or in no form it documents): never followed. */
const foreignNextLink = () => new ProviderError('access', 'foreign_next_link');

/** The Graph path of an item of the caller's drive, for a checked id only. */
export const itemPath = (id: string) => {
  if (!isValidItemId('onedrive', id)) throw new TypeError('Invalid OneDrive item id');
  return `/me/drive/items/${encodeURIComponent(id)}`;
};

export function oneDriveFiles(accessToken: string, options: ProviderFilesOptions = {}): ProviderFiles {
  const graph = graphClient(accessToken, options);
  return {
    async listFolder({ folderId, pageToken, pageSize }) {
      let drive: OwnDrive | undefined;
      let res: { value?: DriveItem[]; '@odata.nextLink'?: string };
      if (pageToken) {
        // Our own signed continuation, checked again before anything is requested (defence in depth).
        const continuation = readContinuation(pageToken);
        drive = continuation.d;
        const link = parseGraphLink(continuation.l);
        if (!inOwnDrive(link, drive)) throw new PageTokenError();
        res = await graph.api(link.href).get();
      } else {
        res = await graph
          .api(folderId ? `${itemPath(folderId)}/children` : '/me/drive/root/children')
          .top(pageSize)
          .select(DRIVE_ITEM_SELECT)
          .get();
      }
      const files = (res.value ?? []).map(toCloudFile);
      const next = res['@odata.nextLink'];
      if (!next) return { files, nextPageToken: null };
      // Checked on the way out as well: only links we would follow are handed out.
      let link: GraphLink;
      try {
        link = parseGraphLink(next);
      } catch {
        throw foreignNextLink();
      }
      if (link.drive.kind !== 'me' && !drive) {
        const own = (await graph.api('/me/drive').select(['id', 'owner']).get()) as {
          id: string;
          owner?: { user?: { id?: string } };
        };
        drive = { id: own.id, ownerId: own.owner?.user?.id ?? null };
      }
      if (!inOwnDrive(link, drive)) throw foreignNextLink();
      const continuation: Continuation = { l: link.href, ...(drive ? { d: drive } : {}) };
      return { files, nextPageToken: JSON.stringify(continuation) };
    },

    async readAccount() {
      const me = (await graph.api('/me').select(['id', 'mail', 'userPrincipalName']).get()) as {
        id: string;
        mail?: string | null;
        userPrincipalName?: string | null;
      };
      return { id: me.id, email: me.mail ?? me.userPrincipalName ?? null };
    },
  };
}
