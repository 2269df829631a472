import type { drive_v3 } from '@googleapis/drive';
import { googleAuth, googleDriveClient } from './adapters/sdk-setup.ts';
import { providerEndpoints } from './config.ts';
import { isValidItemId, readLimited } from './file-content.ts';
import type { CloudFile, ProviderFiles, ProviderFilesOptions } from './types.ts';

export const GOOGLE_FOLDER = 'application/vnd.google-apps.folder';
/** The media-type prefix of Google-native files (Docs, Sheets, Forms, shortcuts, …): no bytes of their own. */
export const GOOGLE_APPS = 'application/vnd.google-apps.';
const SHORTCUT = 'application/vnd.google-apps.shortcut';
const FILE_FIELDS =
  'id,name,mimeType,size,modifiedTime,parents,webViewLink,shortcutDetails,headRevisionId,version';
/**
 * Shared drives' items are left out of every answer unless the request says it supports them (Drive: 404 for
 * files.get, nothing in files.list), so every request says so.
 */
export const ALL_DRIVES = { supportsAllDrives: true } as const;
const LIST_ALL_DRIVES = { supportsAllDrives: true, includeItemsFromAllDrives: true } as const;
/**
 * Our continuation of the root listing once My Drive's root is exhausted: the shared drives follow it as further
 * roots (`drives:` + drives.list's own page token). Drive's page tokens never start so.
 */
const SHARED_DRIVES = 'drives:';

/** A Drive file as the API's CloudFile (listings and imports alike). */
export function toCloudFile(f: drive_v3.Schema$File): CloudFile {
  // A shortcut is shown as what it points at (its target's id, kind and type) under its own name and place, so
  // browsing and importing go straight to the target.
  const target = f.mimeType === SHORTCUT ? f.shortcutDetails : undefined;
  if (target?.targetId) {
    return {
      id: target.targetId,
      name: f.name ?? '',
      isFolder: target.targetMimeType === GOOGLE_FOLDER,
      mimeType: target.targetMimeType ?? null,
      size: null,
      modifiedAt: f.modifiedTime ?? null,
      webUrl: f.webViewLink ?? null,
      parentId: f.parents?.[0] ?? null,
      // The target's revision is not in the shortcut's metadata; an import reads it from the target.
      revision: null,
    };
  }
  // Drive reports a `size` for Docs Editors files too: their storage, not the size of anything we can read
  // (they are exported), so Google-native files have no size here.
  const native = f.mimeType?.startsWith(GOOGLE_APPS) ?? false;
  const size = native || f.size === undefined || f.size === null ? null : Number(f.size);
  return {
    id: f.id ?? '',
    name: f.name ?? '',
    isFolder: f.mimeType === GOOGLE_FOLDER,
    mimeType: f.mimeType ?? null,
    size: size !== null && Number.isFinite(size) ? size : null,
    modifiedAt: f.modifiedTime ?? null,
    webUrl: f.webViewLink ?? null,
    parentId: f.parents?.[0] ?? null,
    // Binary files change headRevisionId only when their bytes do; Google-native documents have a version.
    revision: f.headRevisionId ?? (f.version ? `v${f.version}` : null),
  };
}

/** A shared drive, listed as a root next to My Drive's items: browse it with its id as the folder id. */
function sharedDriveEntry(d: drive_v3.Schema$Drive): CloudFile {
  return {
    id: d.id ?? '',
    name: d.name ?? '',
    isFolder: true,
    mimeType: GOOGLE_FOLDER,
    size: null,
    modifiedAt: d.createdTime ?? null,
    webUrl: d.id ? `https://drive.google.com/drive/folders/${d.id}` : null,
    parentId: null,
    revision: null,
    sharedDrive: true,
  };
}

/** Reads a gaxios `responseType: 'stream'` body: a web ReadableStream (fetch) or a Node stream. */
const streamOf = (data: unknown) => data as AsyncIterable<Uint8Array>;

/**
 * A refused `responseType: 'stream'` request: gaxios leaves `response.data` empty and puts the JSON error body
 * in the message (or leaves it as an unread stream). The classification needs its `reason` (e.g.
 * `exportSizeLimitExceeded`), so the body is put back where it looks; it is never logged.
 */
export async function withErrorBody(error: unknown): Promise<never> {
  const e = error as { message?: unknown; response?: { data?: unknown } } | null;
  const response = e?.response;
  if (response) {
    const data = response.data;
    if (data && typeof data === 'object' && Symbol.asyncIterator in data) {
      response.data = await readLimited(streamOf(data), 64 * 1024).then(
        (bytes) => bytes.toString('utf8'),
        () => undefined,
      );
    } else if (data === undefined && typeof e.message === 'string' && e.message.startsWith('{')) {
      response.data = e.message;
    }
  }
  throw error;
}

export function googleDriveFiles(accessToken: string, options: ProviderFilesOptions = {}): ProviderFiles {
  const auth = googleAuth(accessToken);
  const drive = googleDriveClient(auth, options);

  /** One page of the shared drives the user is a member of (drives.list), continued as `drives:<token>`. */
  const sharedDrivesPage = async (pageToken: string | undefined, pageSize: number) => {
    const res = await drive.drives.list({
      pageSize: Math.min(pageSize, 100),
      ...(pageToken ? { pageToken } : {}),
      fields: 'nextPageToken,drives(id,name,createdTime)',
    });
    const next = res.data.nextPageToken;
    return {
      files: (res.data.drives ?? []).filter((d) => d.id).map(sharedDriveEntry),
      nextPageToken: next ? `${SHARED_DRIVES}${next}` : null,
    };
  };

  return {
    async listFolder({ folderId, pageToken, pageSize }) {
      if (!folderId && pageToken?.startsWith(SHARED_DRIVES)) {
        return sharedDrivesPage(pageToken.slice(SHARED_DRIVES.length) || undefined, pageSize);
      }
      const parent = folderId ?? 'root';
      // The id is interpolated into Drive's query language: only the id alphabet may get here.
      if (!isValidItemId('google_drive', parent)) throw new TypeError('Invalid Drive folder id');
      const res = await drive.files.list({
        q: `'${parent}' in parents and trashed = false`,
        pageSize,
        ...(pageToken ? { pageToken } : {}),
        orderBy: 'folder,name',
        spaces: 'drive',
        fields: `nextPageToken,files(${FILE_FIELDS})`,
        ...LIST_ALL_DRIVES,
      });
      const files = (res.data.files ?? []).map(toCloudFile);
      const next = res.data.nextPageToken ?? null;
      if (folderId || next) return { files, nextPageToken: next };
      // The last page of My Drive's root: the shared drives follow, as further roots, in the room left.
      const room = pageSize - files.length;
      if (room <= 0) return { files, nextPageToken: SHARED_DRIVES };
      const drives = await sharedDrivesPage(undefined, room);
      return { files: [...files, ...drives.files], nextPageToken: drives.nextPageToken };
    },

    async readAccount() {
      const res = await auth.request<{ sub: string; email?: string }>({
        url: providerEndpoints().google_drive.userinfoUrl,
        timeout: options.timeoutMs ?? 10_000,
        retry: false,
      });
      return { id: res.data.sub, email: res.data.email ?? null };
    },
  };
}
