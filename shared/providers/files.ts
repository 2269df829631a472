import { dropboxFiles } from './dropbox.ts';
import { googleDriveFiles } from './google-drive.ts';
import { oneDriveFiles } from './onedrive.ts';
import type { Provider } from './types.ts';

/** A file or folder as the API shows it, whatever the provider. */
export interface CloudFile {
  id: string;
  name: string;
  isFolder: boolean;
  mimeType: string | null;
  size: number | null;
  modifiedAt: string | null;
  webUrl: string | null;
  parentId: string | null;
}

export interface ProviderAccount {
  /** The provider's stable account key: Google `sub`, Microsoft `id` (oid), Dropbox `account_id`. */
  id: string;
  email: string | null;
}

export interface ListFolderRequest {
  /** Absent: the root of the drive. */
  folderId?: string | undefined;
  /** The provider's own continuation (Drive page token, Graph nextLink, Dropbox cursor). */
  pageToken?: string | undefined;
  pageSize: number;
}

export interface FolderPage {
  files: CloudFile[];
  /** The provider's own continuation, or null on the last page. */
  nextPageToken: string | null;
}

export interface TextFile {
  file: CloudFile;
  /** UTF-8 text without a byte-order mark. */
  text: string;
  /** The media type of `text` (a Google Doc's export type, not the Doc's own type). */
  mimeType: string | null;
  bytes: number;
}

/**
 * One interface over Google Drive, OneDrive and Dropbox, implemented with each provider's SDK. Methods throw
 * the SDK's errors as they are (the session classifies them, refreshes and retries), FileContentError for
 * files that cannot be read as text, and PageTokenError for continuations that are not the provider's.
 */
export interface ProviderFiles {
  listFolder(request: ListFolderRequest): Promise<FolderPage>;
  /** A file's content as text: folders, binary and non-UTF-8 files and files over `maxBytes` are refused. */
  readTextFile(fileId: string, maxBytes: number): Promise<TextFile>;
  readAccount(): Promise<ProviderAccount>;
}

export interface ProviderFilesOptions {
  /** Bounds every request of this client (one attempt of the session). */
  timeoutMs?: number;
}

/** A files client for one access token. Cheap: created per attempt so that each has its own timeout. */
export function providerFiles(
  provider: Provider,
  accessToken: string,
  options: ProviderFilesOptions = {},
): ProviderFiles {
  switch (provider) {
    case 'google_drive':
      return googleDriveFiles(accessToken, options);
    case 'onedrive':
      return oneDriveFiles(accessToken, options);
    case 'dropbox':
      return dropboxFiles(accessToken, options);
  }
}

export {
  decodeText,
  FileContentError,
  isValidItemId,
  looksLikeText,
  PageTokenError,
  readLimited,
} from './file-content.ts';
