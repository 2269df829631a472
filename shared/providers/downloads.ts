import type { drive_v3 } from '@googleapis/drive';
import {
  dropboxClient,
  dropboxFetch,
  googleAuth,
  googleDriveClient,
  graphClient,
} from './adapters/sdk-setup.ts';
import { providerEndpoints } from './config.ts';
import { type DropboxEntry, toCloudFile as dropboxEntryToCloudFile, pathArg } from './dropbox.ts';
import { ProviderError } from './errors.ts';
import { FileContentError, isValidItemId } from './file-content.ts';
import {
  ALL_DRIVES,
  toCloudFile as driveFileToCloudFile,
  GOOGLE_APPS,
  withErrorBody,
} from './google-drive.ts';
import {
  DRIVE_ITEM_SELECT,
  type DriveItem,
  toCloudFile as driveItemToCloudFile,
  itemPath,
} from './onedrive.ts';
import { classifyApiError } from './sdk-errors.ts';
import type { CloudFile, Provider, ProviderFilesOptions } from './types.ts';

/**
 * Reading a whole file for an import, as a stream: its metadata with the provider's revision, and its bytes
 * (Google Docs, Slides and Sheets exported as DOCX, PPTX and CSV; over Drive's 10 MB export cap, through the
 * file's `exportLinks`). Nothing here holds a file in memory: the body is the provider's own response stream.
 * Errors are the SDKs' (classified by the provider session) or FileContentError for folders and files without
 * content.
 */
export interface RemoteFile {
  file: CloudFile;
  /** The content's revision: Drive `headRevisionId` (files) or `version` (Google-native), Graph `cTag` (else
   * `eTag`), Dropbox `rev`. */
  revision: string | null;
  /** The media type the bytes will have: a Google-native document's export type, else the file's own. */
  mimeType: string | null;
  /** A Google-native document: exported (DOCX, PPTX, CSV) rather than downloaded. */
  exported: boolean;
}

export interface OpenedFile extends RemoteFile {
  body: AsyncIterable<Uint8Array>;
  /** Stops the download (the rest is never read). */
  cancel(): void;
  /** Drive's export cap was over: the export came from `exportLinks`. */
  viaExportLink: boolean;
}

export interface ProviderDownloads {
  describeFile(fileId: string): Promise<RemoteFile>;
  openFile(fileId: string): Promise<OpenedFile>;
}

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
/** Docs Editors files have no bytes of their own; they are exported as the format the worker extracts best. */
export const GOOGLE_EXPORTS: Record<string, string> = {
  'application/vnd.google-apps.document': DOCX,
  'application/vnd.google-apps.presentation': PPTX,
  'application/vnd.google-apps.spreadsheet': 'text/csv',
};

/** What openFile downloads: a file, never a folder. */
function fileToOpen(remote: RemoteFile): RemoteFile {
  if (remote.file.isFolder) throw new FileContentError('not_a_file');
  return remote;
}

/** A stream from a fetch Response body, a gaxios stream (web or Node) or nothing. */
function streamOf(data: unknown): { body: AsyncIterable<Uint8Array>; cancel: () => void } {
  const source = data as
    | (AsyncIterable<Uint8Array> & { destroy?: () => void; cancel?: () => unknown })
    | null;
  if (!source || typeof source !== 'object' || !(Symbol.asyncIterator in source)) {
    return { body: (async function* () {})(), cancel: () => undefined };
  }
  return {
    body: source,
    cancel: () => {
      try {
        if (typeof source.destroy === 'function') source.destroy();
        else if (typeof source.cancel === 'function')
          void Promise.resolve(source.cancel()).catch(() => undefined);
      } catch {
        // already closed
      }
    },
  };
}

/** A refused fetch as the SDKs' errors look to the classification (status, headers, parsed body). */
async function httpFailure(res: Response, name: string): Promise<Error> {
  const text = await res.text().catch(() => '');
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text, never logged
  }
  return Object.assign(new Error(`${name} request failed`), {
    name,
    status: res.status,
    headers: res.headers,
    error: parsed,
    response: { status: res.status, headers: res.headers, data: parsed },
  });
}

/**
 * Where Drive's `exportLinks` may send the bearer: Google's own hosts over https, or the configured Drive root
 * (the sandbox). Anything else (a tampered or unexpected link) is never requested with the token.
 */
function assertExportLink(link: string): string {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new ProviderError('transient', 'bad_export_link');
  }
  const configured = new URL(providerEndpoints().google_drive.driveRootUrl);
  const google = url.hostname === 'docs.google.com' || url.hostname.endsWith('.googleapis.com');
  if (
    url.protocol !== 'https:' ||
    url.username ||
    url.password ||
    !(google || url.origin === configured.origin)
  )
    throw new ProviderError('transient', 'bad_export_link');
  return url.href;
}

/**
 * What describing a file reads: a listing's fields without `shortcutDetails` (an import names the target's own
 * id, which the files listing hands out for a shortcut; a shortcut's id is described as the shortcut it is).
 */
const DRIVE_FIELDS = 'id,name,mimeType,size,modifiedTime,parents,webViewLink,version,headRevisionId';

function driveRemote(meta: drive_v3.Schema$File): RemoteFile {
  const file = driveFileToCloudFile(meta);
  const exportAs = meta.mimeType ? GOOGLE_EXPORTS[meta.mimeType] : undefined;
  return {
    file,
    revision: file.revision,
    mimeType: exportAs ?? file.mimeType,
    exported: exportAs !== undefined,
  };
}

function googleDriveDownloads(accessToken: string, options: ProviderFilesOptions): ProviderDownloads {
  const drive = googleDriveClient(googleAuth(accessToken), options);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const describeFile = async (fileId: string) => {
    if (!isValidItemId('google_drive', fileId)) throw new TypeError('Invalid Drive file id');
    const meta = (await drive.files.get({ fileId, fields: DRIVE_FIELDS, ...ALL_DRIVES })).data;
    return driveRemote(meta);
  };
  return {
    describeFile,
    async openFile(fileId) {
      const remote = fileToOpen(await describeFile(fileId));
      const original = remote.file.mimeType ?? '';
      if (!remote.exported) {
        // Other Google-native types (Forms, Drawings, shortcuts, …) have no bytes to download.
        if (original.startsWith(GOOGLE_APPS)) throw new FileContentError('not_text');
        const res = await drive.files
          .get({ fileId, alt: 'media', ...ALL_DRIVES }, { responseType: 'stream' })
          .catch(withErrorBody);
        return { ...remote, ...streamOf(res.data), viaExportLink: false };
      }
      const exportAs = remote.mimeType!;
      try {
        const res = await drive.files
          .export({ fileId, mimeType: exportAs }, { responseType: 'stream' })
          .catch(withErrorBody);
        return { ...remote, ...streamOf(res.data), viaExportLink: false };
      } catch (error) {
        // Over 10 MB Drive refuses the export (403 exportSizeLimitExceeded); the file's exportLinks serve it.
        if (classifyApiError(error)?.code !== 'export_too_large') throw error;
      }
      const links = (await drive.files.get({ fileId, fields: 'exportLinks', ...ALL_DRIVES })).data
        .exportLinks;
      const link = links?.[exportAs];
      if (!link) throw new ProviderError('access', 'export_too_large', { status: 403 });
      const res = await fetch(assertExportLink(link), {
        headers: { authorization: `Bearer ${accessToken}` },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw await httpFailure(res, 'GaxiosError');
      return { ...remote, ...streamOf(res.body), viaExportLink: true };
    },
  };
}

function oneDriveDownloads(accessToken: string, options: ProviderFilesOptions): ProviderDownloads {
  const graph = graphClient(accessToken, options);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const describeFile = async (fileId: string): Promise<RemoteFile> => {
    const item = (await graph.api(itemPath(fileId)).select(DRIVE_ITEM_SELECT).get()) as DriveItem;
    const file = driveItemToCloudFile(item);
    return { file, revision: file.revision, mimeType: file.mimeType, exported: false };
  };
  return {
    describeFile,
    async openFile(fileId) {
      const remote = fileToOpen(await describeFile(fileId));
      // /content answers 302 to a short-lived pre-authenticated URL, followed without the bearer.
      const res = await fetch(
        `${providerEndpoints().onedrive.graphBaseUrl.replace(/\/?$/, '/')}v1.0${itemPath(fileId)}/content`,
        {
          headers: { authorization: `Bearer ${accessToken}` },
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        },
      );
      let download: Response = res;
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        const location = res.headers.get('location');
        if (!location || !/^https:\/\//i.test(location))
          throw new ProviderError('transient', 'bad_redirect', { status: res.status });
        download = await fetch(location, { signal: AbortSignal.timeout(timeoutMs) });
        if (download.status === 401 || download.status === 403) {
          // The pre-authenticated URL knows nothing of our token: refused means it expired.
          await download.body?.cancel();
          throw new ProviderError('transient', 'download_url_expired', { status: download.status });
        }
      }
      if (!download.ok) throw await httpFailure(download, 'GraphError');
      return { ...remote, ...streamOf(download.body), viaExportLink: false };
    },
  };
}

/** The SDK's httpHeaderSafeJson: JSON with every non-ASCII character escaped, as Dropbox-API-Arg needs. */
const headerSafeJson = (value: unknown): string =>
  JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${`000${c.charCodeAt(0).toString(16)}`.slice(-4)}`,
  );

function dropboxDownloads(accessToken: string, options: ProviderFilesOptions): ProviderDownloads {
  const dbx = dropboxClient(accessToken, options);
  const describeFile = async (fileId: string): Promise<RemoteFile> => {
    const meta = (await dbx.filesGetMetadata({ path: pathArg(fileId) })).result as DropboxEntry;
    // A deleted entry is answered only to include_deleted, which is never asked.
    const file = dropboxEntryToCloudFile(meta, null);
    if (!file) throw new FileContentError('not_a_file');
    return { file, revision: file.revision, mimeType: file.mimeType, exported: false };
  };
  return {
    describeFile,
    async openFile(fileId) {
      const remote = fileToOpen(await describeFile(fileId));
      // The SDK's filesDownload buffers the whole file; the same endpoint is streamed here instead.
      const res = await dropboxFetch(options)('https://content.dropboxapi.com/2/files/download', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${accessToken}`,
          'dropbox-api-arg': headerSafeJson({ path: fileId }),
        },
      });
      if (!res.ok) throw await httpFailure(res, 'DropboxResponseError');
      // The revision actually downloaded (the file may have changed since the metadata was read).
      let revision = remote.revision;
      try {
        const result = JSON.parse(res.headers.get('dropbox-api-result') ?? '{}') as { rev?: unknown };
        if (typeof result.rev === 'string') revision = result.rev;
      } catch {
        // keep the metadata's revision
      }
      return { ...remote, revision, ...streamOf(res.body), viaExportLink: false };
    },
  };
}

export function providerDownloads(
  provider: Provider,
  accessToken: string,
  options: ProviderFilesOptions = {},
): ProviderDownloads {
  switch (provider) {
    case 'google_drive':
      return googleDriveDownloads(accessToken, options);
    case 'onedrive':
      return oneDriveDownloads(accessToken, options);
    case 'dropbox':
      return dropboxDownloads(accessToken, options);
  }
}
