import type { drive_v3 } from '@googleapis/drive';
import { googleAuth, googleDriveClient } from './adapters/sdk-setup.ts';
import { providerEndpoints } from './config.ts';
import { decodeText, FileContentError, isValidItemId, looksLikeText, readLimited } from './file-content.ts';
import type { CloudFile, ProviderFiles, ProviderFilesOptions } from './types.ts';

const FOLDER = 'application/vnd.google-apps.folder';
const GOOGLE_APPS = 'application/vnd.google-apps.';
/** Docs Editors files have no bytes of their own; they are exported (10 MB cap at Google). */
const EXPORT_AS: Record<string, string> = {
  'application/vnd.google-apps.document': 'text/plain',
  'application/vnd.google-apps.presentation': 'text/plain',
  'application/vnd.google-apps.spreadsheet': 'text/csv',
};
const FILE_FIELDS = 'id,name,mimeType,size,modifiedTime,parents,webViewLink';

function toCloudFile(f: drive_v3.Schema$File): CloudFile {
  // Drive reports a `size` for Docs Editors files too: their storage, not the size of anything we can read
  // (they are exported), so Google-native files have no size here.
  const native = f.mimeType?.startsWith(GOOGLE_APPS) ?? false;
  const size = native || f.size === undefined || f.size === null ? null : Number(f.size);
  return {
    id: f.id ?? '',
    name: f.name ?? '',
    isFolder: f.mimeType === FOLDER,
    mimeType: f.mimeType ?? null,
    size: size !== null && Number.isFinite(size) ? size : null,
    modifiedAt: f.modifiedTime ?? null,
    webUrl: f.webViewLink ?? null,
    parentId: f.parents?.[0] ?? null,
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
  return {
    async listFolder({ folderId, pageToken, pageSize }) {
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
      });
      return {
        files: (res.data.files ?? []).map(toCloudFile),
        nextPageToken: res.data.nextPageToken ?? null,
      };
    },

    async readTextFile(fileId, maxBytes) {
      const meta = (await drive.files.get({ fileId, fields: FILE_FIELDS })).data;
      const file = toCloudFile(meta);
      if (file.isFolder) throw new FileContentError('not_a_file');
      const exportAs = meta.mimeType ? EXPORT_AS[meta.mimeType] : undefined;
      let body: AsyncIterable<Uint8Array>;
      let mimeType: string | null;
      if (exportAs) {
        const res = await drive.files
          .export({ fileId, mimeType: exportAs }, { responseType: 'stream' })
          .catch(withErrorBody);
        body = streamOf(res.data);
        mimeType = exportAs;
      } else {
        if (meta.mimeType?.startsWith(GOOGLE_APPS) || !looksLikeText(meta.mimeType, file.name)) {
          throw new FileContentError('not_text');
        }
        if (file.size !== null && file.size > maxBytes) throw new FileContentError('too_large');
        const res = await drive.files.get({ fileId, alt: 'media' }, { responseType: 'stream' });
        body = streamOf(res.data);
        mimeType = file.mimeType;
      }
      const bytes = await readLimited(body, maxBytes);
      return { file, text: decodeText(bytes), mimeType, bytes: bytes.byteLength };
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
