import { ResponseType } from '@microsoft/microsoft-graph-client';
import { graphClient } from './adapters/sdk-setup.ts';
import { providerEndpoints } from './config.ts';
import { ProviderError, parseRetryAfter } from './errors.ts';
import {
  decodeText,
  FileContentError,
  isValidItemId,
  looksLikeText,
  PageTokenError,
  readLimited,
} from './file-content.ts';
import type { CloudFile, ProviderFiles, ProviderFilesOptions } from './types.ts';

interface DriveItem {
  id: string;
  name: string;
  size?: number;
  lastModifiedDateTime?: string;
  webUrl?: string;
  parentReference?: { id?: string };
  folder?: unknown;
  file?: { mimeType?: string };
}

const SELECT = ['id', 'name', 'size', 'lastModifiedDateTime', 'webUrl', 'parentReference', 'folder', 'file'];

function toCloudFile(item: DriveItem): CloudFile {
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
  };
}

/**
 * A Graph `@odata.nextLink` may only be followed when it points at the configured Graph host and version:
 * the Graph client attaches the bearer to that host, so a link from anywhere else (a tampered page token)
 * must never be requested.
 */
export function assertGraphLink(link: string): string {
  const base = new URL(providerEndpoints().onedrive.graphBaseUrl);
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new PageTokenError();
  }
  const prefix = `${base.pathname.replace(/\/?$/, '/')}v1.0/me/drive/`;
  if (
    url.protocol !== 'https:' ||
    url.origin !== base.origin ||
    url.username ||
    url.password ||
    !url.pathname.startsWith(prefix) ||
    url.pathname.includes('/../')
  ) {
    throw new PageTokenError();
  }
  return url.href;
}

const itemPath = (id: string) => {
  if (!isValidItemId('onedrive', id)) throw new TypeError('Invalid OneDrive item id');
  return `/me/drive/items/${encodeURIComponent(id)}`;
};

/** A non-2xx answer of a RAW Graph request, shaped like the SDK's own errors for the shared classification. */
async function rawFailure(res: Response): Promise<Error> {
  const body = await res.text().catch(() => '');
  return Object.assign(new Error('Graph request failed'), {
    name: 'GraphError',
    statusCode: res.status,
    headers: res.headers,
    body,
  });
}

export function oneDriveFiles(accessToken: string, options: ProviderFilesOptions = {}): ProviderFiles {
  const graph = graphClient(accessToken, options);
  const timeoutMs = options.timeoutMs ?? 15_000;
  return {
    async listFolder({ folderId, pageToken, pageSize }) {
      const res = (
        pageToken
          ? await graph.api(assertGraphLink(pageToken)).get()
          : await graph
              .api(folderId ? `${itemPath(folderId)}/children` : '/me/drive/root/children')
              .top(pageSize)
              .select(SELECT)
              .get()
      ) as { value?: DriveItem[]; '@odata.nextLink'?: string };
      const next = res['@odata.nextLink'];
      return {
        files: (res.value ?? []).map(toCloudFile),
        // Checked on the way out as well: only links we would follow are handed out.
        nextPageToken: next ? assertGraphLink(next) : null,
      };
    },

    async readTextFile(fileId, maxBytes) {
      const item = (await graph.api(itemPath(fileId)).select(SELECT).get()) as DriveItem;
      const file = toCloudFile(item);
      if (file.isFolder || !item.file) throw new FileContentError('not_a_file');
      if (!looksLikeText(file.mimeType, file.name)) throw new FileContentError('not_text');
      if (file.size !== null && file.size > maxBytes) throw new FileContentError('too_large');

      // /content answers 302 to a short-lived pre-authenticated URL. It is followed here, without the bearer:
      // the token must not travel to the download host.
      const res = (await graph
        .api(`${itemPath(fileId)}/content`)
        .option('redirect', 'manual')
        .responseType(ResponseType.RAW)
        .get()) as Response;
      let body: Response;
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        const location = res.headers.get('location');
        if (!location || !/^https:\/\//i.test(location))
          throw new ProviderError('transient', 'bad_redirect', { status: res.status });
        body = await fetch(location, { signal: AbortSignal.timeout(timeoutMs) });
        if (!body.ok) {
          await body.body?.cancel();
          // The pre-authenticated URL knows nothing of our token: a refusal means it expired, not the token.
          if (body.status === 404) throw new ProviderError('not_found', 'not_found', { status: 404 });
          const retryAfter = parseRetryAfter(body.headers.get('retry-after'));
          throw new ProviderError(body.status === 429 ? 'rate_limited' : 'transient', 'download_failed', {
            status: body.status,
            ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
          });
        }
      } else if (res.ok) {
        body = res;
      } else {
        throw await rawFailure(res);
      }
      const bytes = await readLimited(body.body, maxBytes);
      return { file, text: decodeText(bytes), mimeType: file.mimeType, bytes: bytes.byteLength };
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
