import { fileTypeFromBuffer } from 'file-type';
import { DocumentFailure } from './failure.ts';
import { DOCUMENT_LIMITS, type DocumentLimits } from './limits.ts';
import { countWords } from './words.ts';

import { findEntry, inflateEntry, readZipDirectory, verifyZip, type ZipEntry } from './zip.ts';

/**
 * Text extraction for brand documents. The bytes decide the type (never the declared type or the name, except to
 * tell text formats apart); every bound in DocumentLimits ends as a DocumentFailure with its code.
 */
export type DocumentKind = 'pdf' | 'docx' | 'pptx' | 'html' | 'csv' | 'markdown' | 'text';

export const KIND_MIME: Record<DocumentKind, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  html: 'text/html',
  csv: 'text/csv',
  markdown: 'text/markdown',
  text: 'text/plain',
};

export interface Extracted {
  kind: DocumentKind;
  mimeType: string;
  text: string;
  pages: number | null;
  wordCount: number;
}

export interface ExtractOptions {
  /** The content type the client declared (only tells text formats apart). */
  declaredType?: string | null;
  fileName?: string | null;
  limits?: DocumentLimits;
}

const extensionOf = (name: string | null | undefined): string =>
  /\.([A-Za-z0-9]{1,10})$/.exec(name ?? '')?.[1]?.toLowerCase() ?? '';

const baseType = (type: string | null | undefined): string => type?.split(';')[0]?.trim().toLowerCase() ?? '';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  try {
    return utf8.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return null;
  }
}

const LOOKS_HTML = /^\s*(?:<!doctype html|<html[\s>]|<head[\s>]|<body[\s>])/i;

function textKind(text: string, options: ExtractOptions): DocumentKind {
  const declared = baseType(options.declaredType);
  const ext = extensionOf(options.fileName);
  if (LOOKS_HTML.test(text.slice(0, 1024)) || declared === 'text/html' || ext === 'html' || ext === 'htm')
    return 'html';
  if (declared === 'text/csv' || ext === 'csv') return 'csv';
  if (declared === 'text/markdown' || declared === 'text/x-markdown' || ext === 'md' || ext === 'markdown')
    return 'markdown';
  return 'text';
}

/** Rejects with `timeout` once the deadline passes; `check` is called between units of work. */
class Deadline {
  readonly at: number;
  constructor(ms: number) {
    this.at = Date.now() + ms;
  }
  check(): void {
    if (Date.now() > this.at) throw new DocumentFailure('timeout');
  }
  race<T>(work: Promise<T>): Promise<T> {
    // The work may still fail after the deadline won: that late rejection is expected, not unhandled.
    work.catch(() => undefined);
    const left = this.at - Date.now();
    if (left <= 0) return Promise.reject(new DocumentFailure('timeout'));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DocumentFailure('timeout')), left);
    });
    return Promise.race([work, expired]).finally(() => clearTimeout(timer));
  }
}

class TextBudget {
  private bytes = 0;
  constructor(private readonly max: number) {}
  add(piece: string): void {
    this.bytes += Buffer.byteLength(piece, 'utf8');
    if (this.bytes > this.max) throw new DocumentFailure('too_large', 'text');
  }
}

async function extractPdf(bytes: Buffer, limits: DocumentLimits, deadline: Deadline) {
  const { getDocumentProxy } = await import('unpdf');
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // A copy: pdf.js transfers (detaches) the buffer it is given.
    pdf = await deadline.race(getDocumentProxy(new Uint8Array(bytes), { stopAtErrors: false, verbosity: 0 }));
  } catch (error) {
    if (error instanceof DocumentFailure) throw error;
    if ((error as { name?: string }).name === 'PasswordException')
      throw new DocumentFailure('encrypted', 'pdf');
    throw new DocumentFailure('corrupt', 'pdf');
  }
  try {
    if (pdf.numPages > limits.maxPages) throw new DocumentFailure('too_large', 'pages');
    const budget = new TextBudget(limits.maxTextBytes);
    const pages: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      deadline.check();
      const page = await deadline.race(pdf.getPage(n));
      const content = await deadline.race(page.getTextContent());
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        text += item.str;
        if (item.hasEOL) text += '\n';
      }
      page.cleanup();
      budget.add(text);
      pages.push(text.trim());
    }
    return { text: pages.join('\n\n'), pages: pdf.numPages };
  } catch (error) {
    if (error instanceof DocumentFailure) throw error;
    throw new DocumentFailure('corrupt', 'pdf page');
  } finally {
    void pdf.loadingTask.destroy().catch(() => undefined);
  }
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decodeXml = (s: string): string =>
  s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (m, e: string) => {
    if (e[0] !== '#') return XML_ENTITIES[e.toLowerCase()] ?? m;
    const code =
      e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });

/** The `<Pages>` a word processor recorded in docProps/app.xml, if any. */
function recordedPages(bytes: Buffer, entries: ZipEntry[], limits: DocumentLimits): number | null {
  const app = findEntry(entries, 'docProps/app.xml');
  if (!app) return null;
  const xml = inflateEntry(bytes, app, 1024 * 1024).toString('utf8');
  const pages = /<Pages>(\d{1,9})<\/Pages>/.exec(xml)?.[1];
  if (pages === undefined) return null;
  const n = Number(pages);
  if (n > limits.maxPages) throw new DocumentFailure('too_large', 'pages');
  return n;
}

async function extractDocx(bytes: Buffer, entries: ZipEntry[], limits: DocumentLimits, deadline: Deadline) {
  const pages = recordedPages(bytes, entries, limits);
  verifyZip(bytes, entries, limits);
  deadline.check();
  const { default: mammoth } = await import('mammoth');
  let text: string;
  try {
    text = (await deadline.race(mammoth.extractRawText({ buffer: bytes }))).value;
  } catch (error) {
    if (error instanceof DocumentFailure) throw error;
    throw new DocumentFailure('corrupt', 'docx');
  }
  new TextBudget(limits.maxTextBytes).add(text);
  return { text: text.replace(/\n{3,}/g, '\n\n').trim(), pages };
}

function extractPptx(bytes: Buffer, entries: ZipEntry[], limits: DocumentLimits, deadline: Deadline) {
  verifyZip(bytes, entries, limits);
  const slides = entries
    .map((e) => ({ e, n: Number(/^ppt\/slides\/slide(\d{1,6})\.xml$/.exec(e.name)?.[1] ?? Number.NaN) }))
    .filter((s) => Number.isInteger(s.n))
    .sort((a, b) => a.n - b.n);
  if (slides.length > limits.maxPages) throw new DocumentFailure('too_large', 'slides');
  const budget = new TextBudget(limits.maxTextBytes);
  const out: string[] = [];
  for (const { e } of slides) {
    deadline.check();
    const xml = inflateEntry(bytes, e, limits.maxUncompressedBytes).toString('utf8');
    const paragraphs: string[] = [];
    for (const p of xml.split(/<\/a:p>/)) {
      let line = '';
      for (const m of p.matchAll(/<a:t(?:\s[^>]*)?>([^<]*)<\/a:t>/g)) line += decodeXml(m[1]!);
      if (line.trim()) paragraphs.push(line.trim());
    }
    const slide = paragraphs.join('\n');
    budget.add(slide);
    out.push(slide);
  }
  return { text: out.filter(Boolean).join('\n\n'), pages: slides.length };
}

async function htmlToText(html: string): Promise<string> {
  const { convert } = await import('html-to-text');
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
    ],
  });
}

function zipKind(entries: ZipEntry[]): 'docx' | 'pptx' | null {
  if (findEntry(entries, 'word/document.xml')) return 'docx';
  if (findEntry(entries, 'ppt/presentation.xml')) return 'pptx';
  return null;
}

/**
 * Extracts the text of a document. Throws DocumentFailure (and only that) for anything that is not a readable
 * document within the limits.
 */
export async function extractDocument(bytes: Buffer, options: ExtractOptions = {}): Promise<Extracted> {
  const limits = options.limits ?? DOCUMENT_LIMITS;
  const deadline = new Deadline(limits.timeoutMs);
  try {
    return await deadline.race(run(bytes, options, limits, deadline));
  } catch (error) {
    if (error instanceof DocumentFailure) throw error;
    // A library failing in a way we did not foresee is a file we cannot read, not a worker crash.
    throw new DocumentFailure('corrupt', 'extractor');
  }
}

async function run(
  bytes: Buffer,
  options: ExtractOptions,
  limits: DocumentLimits,
  deadline: Deadline,
): Promise<Extracted> {
  if (bytes.length === 0) throw new DocumentFailure('no_text', 'empty file');
  if (bytes.length > limits.maxFileBytes) throw new DocumentFailure('too_large', 'file');

  let kind: DocumentKind;
  let result: { text: string; pages: number | null };
  const isZip = bytes.length >= 4 && bytes.readUInt32LE(0) === 0x04034b50;
  if (isZip) {
    const entries = readZipDirectory(bytes, limits);
    const zk = zipKind(entries);
    if (!zk) throw new DocumentFailure('unsupported_type', 'zip');
    kind = zk;
    result =
      zk === 'docx'
        ? await extractDocx(bytes, entries, limits, deadline)
        : extractPptx(bytes, entries, limits, deadline);
  } else {
    const detected = await fileTypeFromBuffer(bytes.subarray(0, 64 * 1024));
    if (detected?.mime === 'application/pdf') {
      kind = 'pdf';
      result = await extractPdf(bytes, limits, deadline);
    } else if (detected && detected.mime !== 'application/xml') {
      throw new DocumentFailure('unsupported_type', detected.mime);
    } else {
      const decoded = decodeUtf8(bytes);
      if (decoded === null) throw new DocumentFailure('unsupported_type', 'binary');
      kind = textKind(decoded, options);
      const text = kind === 'html' ? await htmlToText(decoded) : decoded;
      new TextBudget(limits.maxTextBytes).add(text);
      result = { text, pages: null };
    }
  }
  const text = result.text.replaceAll('\0', ''); // PostgreSQL text cannot hold NUL
  const wordCount = countWords(text);
  if (wordCount === 0) throw new DocumentFailure('no_text');
  return { kind, mimeType: KIND_MIME[kind], text, pages: result.pages, wordCount };
}
