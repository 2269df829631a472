import { randomBytes } from 'node:crypto';
import { zip } from '#local/documents/fixtures';

/**
 * Brand documents of a given size for the extraction figures, made here (nothing downloaded): text in
 * proportion to the size (about 1 byte of text per 12 bytes of file, at most 2,000 pages), the rest images, as in
 * real brand guidelines. Images are random bytes: they do not compress, so the file has the size asked for.
 */
const WORDS =
  'brand voice tone audience clear warm confident colour palette logo spacing typography headline message customer promise value story'.split(
    ' ',
  );

function paragraph(seed: number, chars: number): string {
  const out: string[] = [];
  let n = 0;
  for (let i = 0; n < chars; i++) {
    const w = WORDS[(seed * 31 + i * 7) % WORDS.length]!;
    out.push(w);
    n += w.length + 1;
  }
  return `${out.join(' ')}.`;
}

const pagesFor = (bytes: number) => Math.max(1, Math.min(2000, Math.round(bytes / (12 * 2048))));
const MiB = 1024 * 1024;
/** Pages for a nominal size in whole MiB (the text does not shrink while the file is fitted). */
const pagesOf = (bytes: number) => pagesFor(Math.ceil(bytes / MiB) * MiB);

/** A PDF 1.4 of about `bytes`: text pages (Helvetica, ~2 KB each), each with one image XObject as padding. */
export function pdfOfSize(bytes: number): Buffer {
  return fitted(bytes, buildPdf);
}

/** Builds at `bytes`, then smaller until the file is at most `bytes` (the limits are inclusive). */
function fitted(bytes: number, build: (target: number) => Buffer): Buffer {
  let target = bytes;
  for (;;) {
    const out = build(target);
    if (out.length <= bytes) return out;
    target -= out.length - bytes + 1024;
  }
}

function buildPdf(bytes: number): Buffer {
  const pages = pagesOf(bytes);
  const textBytes = pages * 2048;
  const imageBytes = Math.max(0, Math.floor((bytes - textBytes * 1.15) / pages));
  const side = Math.max(1, Math.floor(Math.sqrt(imageBytes / 3)));
  const chunks: Buffer[] = [];
  const offsets: number[] = [];
  let length = 0;
  const push = (b: Buffer) => {
    chunks.push(b);
    length += b.length;
  };
  push(Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'));
  const object = (n: number, body: Buffer | string, stream?: Buffer) => {
    offsets[n] = length;
    push(Buffer.from(`${n} 0 obj\n`, 'latin1'));
    push(typeof body === 'string' ? Buffer.from(body, 'latin1') : body);
    if (stream) {
      push(Buffer.from('\nstream\n', 'latin1'));
      push(stream);
      push(Buffer.from('\nendstream', 'latin1'));
    }
    push(Buffer.from('\nendobj\n', 'latin1'));
  };
  // 1 catalog, 2 pages, 3 font, then per page: page, content, image.
  const kids = Array.from({ length: pages }, (_, i) => 4 + 3 * i);
  object(1, '<< /Type /Catalog /Pages 2 0 R >>');
  object(2, `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${pages} >>`);
  object(3, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  for (let p = 0; p < pages; p++) {
    const page = 4 + 3 * p;
    const lines = Array.from({ length: 28 }, (_, l) => paragraph(p * 28 + l, 70).replace(/[\\()]/g, ''));
    const ops = lines.map((l, i) => `${i === 0 ? '72 740 Td' : '0 -24 Td'} (${l}) Tj`).join('\n');
    const content = Buffer.from(`BT /F1 10 Tf\n${ops}\nET`, 'latin1');
    object(
      page,
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 ${page + 2} 0 R >> >> /Contents ${page + 1} 0 R >>`,
    );
    object(page + 1, `<< /Length ${content.length} >>`, content);
    const image = randomBytes(side * side * 3);
    object(
      page + 2,
      `<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length ${image.length} >>`,
      image,
    );
  }
  const count = 4 + 3 * pages;
  const xref = [`xref\n0 ${count}\n0000000000 65535 f \n`];
  for (let n = 1; n < count; n++) xref.push(`${String(offsets[n]).padStart(10, '0')} 00000 n \n`);
  const xrefAt = length;
  push(Buffer.from(xref.join(''), 'latin1'));
  push(Buffer.from(`trailer\n<< /Size ${count} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(chunks);
}

const CT = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;
const RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`;

/** A DOCX of about `bytes`: the same text as the PDF of that size in paragraphs, the rest stored images. */
export function docxOfSize(bytes: number): Buffer {
  return fitted(bytes, buildDocx);
}

function buildDocx(bytes: number): Buffer {
  const pages = pagesOf(bytes);
  const paras = Array.from({ length: pages * 28 }, (_, i) => paragraph(i, 70));
  const body = paras.map((p) => `<w:p><w:r><w:t xml:space="preserve">${p}</w:t></w:r></w:p>`).join('');
  const document = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`,
  );
  const app = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Pages>${pages}</Pages></Properties>`,
  );
  const textPart = zip([{ name: 'word/document.xml', data: document }]).length;
  const images = Math.max(1, Math.ceil(bytes / (4 * 1024 * 1024)));
  const each = Math.max(0, Math.floor((bytes - textPart - 2048) / images));
  return zip([
    { name: '[Content_Types].xml', data: Buffer.from(CT) },
    { name: '_rels/.rels', data: Buffer.from(RELS) },
    { name: 'word/document.xml', data: document },
    { name: 'docProps/app.xml', data: app },
    ...Array.from({ length: images }, (_, i) => ({
      name: `word/media/image${i + 1}.png`,
      data: randomBytes(each),
      store: true,
    })),
  ]);
}
