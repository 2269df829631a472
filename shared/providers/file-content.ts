import type { Provider } from './types.ts';

/**
 * Provider-independent rules for the files API: what a file id looks like, which media type a name implies, and
 * how a response body is read without ever holding more than the limit.
 */

/** Why a file cannot be imported. Thrown by the provider modules; the service maps it to 400/413. */
export type FileContentProblem = 'too_large' | 'not_text' | 'not_a_file';

export class FileContentError extends Error {
  constructor(readonly reason: FileContentProblem) {
    super(`File refused: ${reason}`);
    this.name = 'FileContentError';
  }
}

/** A page token that is not one of ours (tampered, or a Graph link pointing somewhere else). */
export class PageTokenError extends Error {
  constructor() {
    super('Invalid page token');
    this.name = 'PageTokenError';
  }
}

/**
 * The shape of item ids per provider, checked before an id is put into a request (a Drive id is interpolated
 * into the `q` query language, so a quote must never get through). `root` is Drive's alias of My Drive.
 */
const ID_PATTERNS: Record<Provider, RegExp> = {
  google_drive: /^[A-Za-z0-9_-]{1,256}$/,
  onedrive: /^[A-Za-z0-9!._-]{1,256}$/,
  dropbox: /^id:[A-Za-z0-9_-]{1,256}$/,
};

export const isValidItemId = (provider: Provider, id: string): boolean => ID_PATTERNS[provider].test(id);

/** Media types of text formats by extension, for providers that report none. */
const TEXT_EXTENSIONS: Record<string, string> = {
  txt: 'text/plain',
  text: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  html: 'text/html',
  htm: 'text/html',
  srt: 'application/x-subrip',
  vtt: 'text/vtt',
};

const OTHER_EXTENSIONS: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  mp4: 'video/mp4',
  mp3: 'audio/mpeg',
};

const extension = (name: string): string => /\.([A-Za-z0-9]{1,10})$/.exec(name)?.[1]?.toLowerCase() ?? '';

/** A media type from a file name, for providers that report none (Dropbox); null when unknown. */
export const mimeTypeFromName = (name: string): string | null => {
  const ext = extension(name);
  return TEXT_EXTENSIONS[ext] ?? OTHER_EXTENSIONS[ext] ?? null;
};

/**
 * Collects a response body of at most `maxBytes`. Stops reading as soon as the limit is passed (leaving the
 * loop cancels the stream, so the rest is never downloaded) and refuses the file.
 */
export async function readLimited(
  body: AsyncIterable<Uint8Array | string> | null | undefined,
  maxBytes: number,
): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    size += bytes.byteLength;
    if (size > maxBytes) throw new FileContentError('too_large');
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
