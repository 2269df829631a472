import * as z from 'zod/mini';
import { meta } from '#shared/schema-meta';

/**
 * The provider vocabulary shared by the provider modules, the connection code and the tests: which providers
 * exist, where they live, and the one files interface the three SDK modules implement. Nothing here imports a
 * provider module, so there is no import circle between them and `files.ts`.
 */

/** The cloud-storage providers a user can connect, as they appear in URLs and in the database. */
export const PROVIDERS = ['google_drive', 'onedrive', 'dropbox'] as const;
export type Provider = (typeof PROVIDERS)[number];

/**
 * Every URL a provider integration talks to. Real values by default; tests and `PROVIDERS=sandbox` point them
 * at the loopback fakes in local/sandbox/, so the real SDKs run unmodified against them.
 */
export interface ProviderEndpoints {
  google_drive: {
    authorizeUrl: string; // accounts.google.com/o/oauth2/v2/auth
    tokenUrl: string; // oauth2.googleapis.com/token
    revokeUrl: string; // oauth2.googleapis.com/revoke
    userinfoUrl: string; // openidconnect.googleapis.com/v1/userinfo
    driveRootUrl: string; // www.googleapis.com/ (googleapis `rootUrl`)
  };
  onedrive: {
    authorizeUrl: string; // login.microsoftonline.com/common/oauth2/v2.0/authorize
    tokenUrl: string; // login.microsoftonline.com/common/oauth2/v2.0/token
    graphBaseUrl: string; // graph.microsoft.com/ (Graph client `baseUrl`, version v1.0 appended by the SDK)
  };
  dropbox: {
    authorizeUrl: string; // www.dropbox.com/oauth2/authorize
    tokenUrl: string; // api.dropboxapi.com/oauth2/token
    revokeUrl: string; // api.dropboxapi.com/2/auth/token/revoke
    apiBaseUrl: string; // api.dropboxapi.com (RPC endpoints: /2/...)
    contentBaseUrl: string; // content.dropboxapi.com (/2/files/download)
  };
}

export const REAL_ENDPOINTS: ProviderEndpoints = {
  google_drive: {
    authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    revokeUrl: 'https://oauth2.googleapis.com/revoke',
    userinfoUrl: 'https://openidconnect.googleapis.com/v1/userinfo',
    driveRootUrl: 'https://www.googleapis.com/',
  },
  onedrive: {
    authorizeUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    graphBaseUrl: 'https://graph.microsoft.com/',
  },
  dropbox: {
    authorizeUrl: 'https://www.dropbox.com/oauth2/authorize',
    tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
    revokeUrl: 'https://api.dropboxapi.com/2/auth/token/revoke',
    apiBaseUrl: 'https://api.dropboxapi.com',
    contentBaseUrl: 'https://content.dropboxapi.com',
  },
};

/** A file or folder in the user's connected storage, the same shape for every provider. */
export const cloudFile = meta(
  z.object({
    id: z.string(),
    name: z.string(),
    isFolder: z.boolean(),
    mimeType: z.nullable(z.string()),
    size: z.nullable(z.number().check(z.int())),
    modifiedAt: z.nullable(z.string()),
    webUrl: z.nullable(z.string()),
    parentId: z.nullable(z.string()),
    /**
     * The content's revision as the provider names it (Drive `headRevisionId`, or `v<version>` for Google
     * Docs Editors files; Graph `cTag`, else `eTag`; Dropbox `rev`); null for folders where none is given.
     * An import remembers it: importing the same file again re-reads it only when this changed.
     */
    revision: z.nullable(z.string()),
    /**
     * Present (true) only on a Google shared drive, listed as a root after My Drive's own items: browse it with its
     * id as `folderId`. Added in a backward-compatible way: clients that do not know it see a folder.
     */
    sharedDrive: meta(z.optional(z.literal(true)), {
      description: 'Only on a Google shared drive listed as a root next to My Drive: browse it by its id.',
    }),
  }),
  { id: 'ProviderFile' },
);
export type CloudFile = z.output<typeof cloudFile>;

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

/**
 * One interface over Google Drive, OneDrive and Dropbox, implemented with each provider's SDK. Methods throw
 * the SDK's errors as they are (the session classifies them, refreshes and retries) and PageTokenError for
 * continuations that are not the provider's. Reading a file for an import: ProviderDownloads (downloads.ts).
 */
export interface ProviderFiles {
  listFolder(request: ListFolderRequest): Promise<FolderPage>;
  readAccount(): Promise<ProviderAccount>;
}

export interface ProviderFilesOptions {
  /** Bounds every request of this client (one attempt of the session). */
  timeoutMs?: number;
}
