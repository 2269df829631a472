import type { files } from 'dropbox';
import { dropboxClient } from './adapters/sdk-setup.ts';
import {
  decodeText,
  FileContentError,
  isValidItemId,
  looksLikeText,
  mimeTypeFromName,
} from './file-content.ts';
import type { CloudFile, ProviderFiles, ProviderFilesOptions } from './types.ts';

type Entry = files.FileMetadataReference | files.FolderMetadataReference | files.DeletedMetadataReference;

function toCloudFile(entry: Entry, parentId: string | null): CloudFile | undefined {
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

const pathArg = (id: string) => {
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
          .map((e) => toCloudFile(e as Entry, folderId ?? null))
          .filter((f): f is CloudFile => f !== undefined),
        nextPageToken: page.has_more ? page.cursor : null,
      };
    },

    async readTextFile(fileId, maxBytes) {
      const meta = (await dbx.filesGetMetadata({ path: pathArg(fileId) })).result as Entry;
      const file = toCloudFile(meta, null);
      if (!file || meta['.tag'] !== 'file') throw new FileContentError('not_a_file');
      // Not downloadable (Dropbox Paper, cloud docs) would need files/export; those are not plain text files.
      if (meta.is_downloadable === false || !looksLikeText(file.mimeType, file.name))
        throw new FileContentError('not_text');
      if (file.size !== null && file.size > maxBytes) throw new FileContentError('too_large');
      // A client whose download buffer stops after maxBytes + 1: an oversized body is never read whole.
      const limited = dropboxClient(accessToken, { ...options, maxDownloadBytes: maxBytes });
      const res = await limited.filesDownload({ path: fileId });
      const binary = (res.result as { fileBinary?: Buffer }).fileBinary ?? Buffer.alloc(0);
      if (binary.byteLength > maxBytes) throw new FileContentError('too_large');
      return { file, text: decodeText(binary), mimeType: file.mimeType, bytes: binary.byteLength };
    },

    async readAccount() {
      const account = (await dbx.usersGetCurrentAccount()).result;
      return { id: account.account_id, email: account.email ?? null };
    },
  };
}
