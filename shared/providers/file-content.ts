import type { Provider } from './types.ts';

/**
 * Provider-independent rules for the files API: what a file id looks like, what counts as text, and how a
 * download is read without ever holding more than the limit.
 */

/** Why a file cannot be imported as text. Thrown by the provider modules; the service maps it to 400/413. */
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

const TEXT_MIME =
  /^(?:text\/[\w.+-]+|application\/(?:json|ld\+json|x-ndjson|xml|x-yaml|yaml|csv|markdown|x-markdown|javascript|x-sh|sql|x-subrip|[\w.-]+\+(?:json|xml)))$/i;

/** Extensions of text formats worth importing, for files whose type is unknown or generic. */
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
 * Whether a file is worth downloading as text: a textual media type, or, when the type is missing or generic
 * (`application/octet-stream`), a text extension. The content is checked again after download (decodeText).
 */
export function looksLikeText(mimeType: string | null | undefined, name: string): boolean {
  const base = mimeType?.split(';')[0]?.trim().toLowerCase();
  if (base && base !== 'application/octet-stream') return TEXT_MIME.test(base);
  return extension(name) in TEXT_EXTENSIONS;
}

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

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The content as text, or `not_text`: a NUL byte (binary formats have them, text never does) or invalid
 * UTF-8. A leading byte-order mark (Google Docs exports start with one) is dropped.
 */
export function decodeText(bytes: Uint8Array): string {
  if (bytes.includes(0)) throw new FileContentError('not_text');
  try {
    return utf8.decode(bytes);
  } catch {
    throw new FileContentError('not_text');
  }
}
