import { randomBytes } from 'node:crypto';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

/**
 * Documents the project makes itself, for the tests and the sandbox providers: hand-built PDFs (plain,
 * encrypted, with very many pages), DOCX and PPTX through a small ZIP writer, and a zip bomb. Nothing here is
 * downloaded or committed as a binary.
 */

export interface ZipInput {
  name: string;
  data: Buffer;
  /** Store instead of deflate. */
  store?: boolean;
  /** Pre-compressed data (raw deflate) and its real size, for bombs built without holding the output. */
  deflated?: { data: Buffer; size: number; crc: number };
  /** Overrides the uncompressed size written in the headers (a lying header). */
  declaredSize?: number;
}

export function zip(entries: ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const method = e.store ? 0 : 8;
    const body = e.deflated ? e.deflated.data : e.store ? e.data : deflateRawSync(e.data);
    const crc = e.deflated ? e.deflated.crc : crc32(e.data);
    const size = e.declaredSize ?? (e.deflated ? e.deflated.size : e.data.length);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0x0800, 8);
    dir.writeUInt16LE(method, 10);
    dir.writeUInt32LE(crc >>> 0, 16);
    dir.writeUInt32LE(body.length, 20);
    dir.writeUInt32LE(size, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    central.push(dir, name);
    offset += 30 + name.length + body.length;
  }
  const dirBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dirBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dirBuf, end]);
}

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const CT_DOCX = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>`;
const RELS = (target: string) => `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="${target}"/></Relationships>`;

export interface DocxOptions {
  /** `<Pages>` in docProps/app.xml. */
  pages?: number;
  /** Extra entries (e.g. a bomb under word/media/). */
  extra?: ZipInput[];
}

export function docx(paragraphs: string[], options: DocxOptions = {}): Buffer {
  const body = paragraphs
    .map((p) => `<w:p><w:r><w:t xml:space="preserve">${xmlEscape(p)}</w:t></w:r></w:p>`)
    .join('');
  const document = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`;
  const app = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Pages>${options.pages ?? 1}</Pages></Properties>`;
  return zip([
    { name: '[Content_Types].xml', data: Buffer.from(CT_DOCX) },
    { name: '_rels/.rels', data: Buffer.from(RELS('word/document.xml')) },
    { name: 'word/document.xml', data: Buffer.from(document) },
    { name: 'docProps/app.xml', data: Buffer.from(app) },
    ...(options.extra ?? []),
  ]);
}

const CT_PPTX = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>`;

/** One slide per element; each slide is a list of paragraphs. */
export function pptx(slides: string[][]): Buffer {
  const slideXml = (paras: string[]) => `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody>${paras
    .map((t) => `<a:p><a:r><a:rPr lang="en-GB"/><a:t>${xmlEscape(t)}</a:t></a:r></a:p>`)
    .join('')}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>`;
  const presentation = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`;
  return zip([
    { name: '[Content_Types].xml', data: Buffer.from(CT_PPTX) },
    { name: '_rels/.rels', data: Buffer.from(RELS('ppt/presentation.xml')) },
    { name: 'ppt/presentation.xml', data: Buffer.from(presentation) },
    ...slides.map((s, i) => ({ name: `ppt/slides/slide${i + 1}.xml`, data: Buffer.from(slideXml(s)) })),
  ]);
}

/** Raw-deflates `size` zero bytes without ever holding them (a bomb's payload). */
export async function deflatedZeros(size: number): Promise<{ data: Buffer; size: number; crc: number }> {
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const chunk = Buffer.alloc(1024 * 1024);
  let crc = 0;
  for (let left = size; left > 0; left -= chunk.length) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    crc = crc32(piece, crc);
    if (!deflate.write(piece)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return { data: Buffer.concat(out), size, crc };
}

/** The same as deflatedZeros, synchronously (for fixtures built on demand, e.g. the sandbox's zip bomb). */
export function deflatedZerosSync(size: number): { data: Buffer; size: number; crc: number } {
  const zeros = Buffer.alloc(size);
  return { data: deflateRawSync(zeros, { level: 9 }), size, crc: crc32(zeros) };
}

/** A DOCX whose media entry unpacks `size` zero bytes (default 64 MiB: over 100:1 many times). */
export async function zipBombDocx(size = 64 * 1024 * 1024): Promise<Buffer> {
  return docx(['A harmless looking first paragraph.'], {
    extra: [{ name: 'word/media/image1.bin', data: Buffer.alloc(0), deflated: await deflatedZeros(size) }],
  });
}

const pdfString = (s: string): string => `(${s.replace(/[\\()]/g, (c) => `\\${c}`)})`;

export interface PdfOptions {
  /** Adds a standard-security /Encrypt dictionary whose user password is not empty. */
  encrypted?: boolean;
  /** Repeats blank pages after the text pages up to this many pages. */
  totalPages?: number;
  /** Adds an unreferenced stream object of this many bytes (a large file with little text, e.g. scans). */
  paddingBytes?: number;
}

/** A PDF 1.4 with one text page per entry (Helvetica, one line per `\n`). */
export function pdf(pages: string[], options: PdfOptions = {}): Buffer {
  const objects: string[] = [];
  const add = (body: string): number => {
    objects.push(body);
    return objects.length;
  };
  add('<< /Type /Catalog /Pages 2 0 R >>');
  add(''); // pages tree, filled below
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const kids: number[] = [];
  for (const text of pages) {
    const lines = text.split('\n');
    const ops = lines.map((l, i) => `${i === 0 ? '72 720 Td' : '0 -16 Td'} ${pdfString(l)} Tj`).join('\n');
    const stream = `BT /F1 12 Tf\n${ops}\nET`;
    const content = add(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`);
    kids.push(
      add(
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${content} 0 R >>`,
      ),
    );
  }
  for (let n = kids.length; n < (options.totalPages ?? 0); n++)
    kids.push(add('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>'));
  objects[1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  if (options.paddingBytes) {
    const filler = 'brand-kit-scan-data '
      .repeat(Math.ceil(options.paddingBytes / 20))
      .slice(0, options.paddingBytes);
    add(`<< /Length ${options.paddingBytes} >>\nstream\n${filler}\nendstream`);
  }
  const id = randomBytes(16).toString('hex');
  let encrypt = '';
  if (options.encrypted) {
    const o = randomBytes(32).toString('hex');
    const u = randomBytes(32).toString('hex');
    const e = add(`<< /Filter /Standard /V 1 /R 2 /Length 40 /O <${o}> /U <${u}> /P -44 >>`);
    encrypt = ` /Encrypt ${e} 0 R`;
  }
  const parts: string[] = ['%PDF-1.4\n%\xe2\xe3\xcf\xd3\n'];
  const offsets: number[] = [];
  let length = Buffer.byteLength(parts[0]!, 'latin1');
  objects.forEach((body, i) => {
    offsets.push(length);
    const obj = `${i + 1} 0 obj\n${body}\nendobj\n`;
    parts.push(obj);
    length += Buffer.byteLength(obj, 'latin1');
  });
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`];
  for (const off of offsets) xref.push(`${String(off).padStart(10, '0')} 00000 n \n`);
  parts.push(
    xref.join(''),
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /ID [<${id}> <${id}>]${encrypt} >>\nstartxref\n${length}\n%%EOF\n`,
  );
  return Buffer.from(parts.join(''), 'latin1');
}
