import type { files } from 'dropbox';
import { dropboxClient } from './adapters/sdk-setup.ts';
import { isValidItemId, mimeTypeFromName } from './file-content.ts';
import type { CloudFile, ProviderFiles, ProviderFilesOptions } from './types.ts';

/** A metadata entry as list_folder and get_metadata answer it. */
export type DropboxEntry =
  | files.FileMetadataReference
  | files.FolderMetadataReference
  | files.DeletedMetadataReference;

/** An entry as the API's CloudFile (listings and imports alike); a deleted entry is none. */
export function toCloudFile(entry: DropboxEntry, parentId: string | null): CloudFile | undefined {
  if (entry['.tag'] === 'deleted') return undefined;
  const isFolder = entry['.tag'] === 'folder';
  return {
    id: entry.id,
    name: entry.name,
    isFolder,
    // Dropbox reports no media type; one is derived from the name for files.
    mimeType: isFolder ? null : mimeTypeFromName(entry.name),
    size: entry['.tag'] === 'file' ? entry.size : null,
    modifiedAt: entry['.tag'] === 'file' ? entry.server_modified : null,
    webUrl: null,
    parentId,
    revision: entry['.tag'] === 'file' ? entry.rev : null,
  };
}

/** A checked Dropbox id as the `path` argument (`id:…`). */
export const pathArg = (id: string) => {
  if (!isValidItemId('dropbox', id)) throw new TypeError('Invalid Dropbox item id');
  return id;
};

export function dropboxFiles(accessToken: string, options: ProviderFilesOptions = {}): ProviderFiles {
  const dbx = dropboxClient(accessToken, options);
  return {
    async listFolder({ folderId, pageToken, pageSize }) {
      const res = pageToken
        ? await dbx.filesListFolderContinue({ cursor: pageToken })
        : await dbx.filesListFolder({ path: folderId ? pathArg(folderId) : '', limit: pageSize });
      const page = res.result;
      return {
        files: page.entries
          .map((e) => toCloudFile(e as DropboxEntry, folderId ?? null))
          .filter((f): f is CloudFile => f !== undefined),
        nextPageToken: page.has_more ? page.cursor : null,
      };
    },

    async readAccount() {
      const account = (await dbx.usersGetCurrentAccount()).result;
      return { id: account.account_id, email: account.email ?? null };
    },
  };
}
