import { describe, expect, it } from 'vitest';
import { docx, pdf, pptx, zip, zipBombDocx } from '#local/documents/fixtures';
import { extractDocument } from '#shared/documents/extract';
import { DocumentFailure } from '#shared/documents/failure';
import { assetObjectKey, decodeEventKey, parseObjectKey, userPrefix } from '#shared/documents/keys';
import { DOCUMENT_LIMITS, MiB } from '#shared/documents/limits';

const failureOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DocumentFailure);
    return (error as DocumentFailure).code;
  }
  throw new Error('expected a DocumentFailure');
};

describe('extractDocument: formats', () => {
  it('reads a hand-built PDF page by page', async () => {
    const out = await extractDocument(
      pdf(['Our voice is warm and direct.', 'Second page: never use jargon (ever).']),
    );
    expect(out).toMatchObject({ kind: 'pdf', mimeType: 'application/pdf', pages: 2 });
    expect(out.text).toContain('Our voice is warm and direct.');
    expect(out.text).toContain('never use jargon (ever).');
    expect(out.wordCount).toBe(12);
  });

  it('reads a DOCX through mammoth and records its pages', async () => {
    const out = await extractDocument(docx(['Brand guidelines', 'We say "you" & mean it.'], { pages: 3 }));
    expect(out).toMatchObject({ kind: 'docx', pages: 3 });
    expect(out.text).toContain('We say "you" & mean it.');
  });

  it('reads a PPTX slide by slide', async () => {
    const out = await extractDocument(pptx([['Slide one title', 'Bold & brief'], ['Slide two']]));
    expect(out).toMatchObject({ kind: 'pptx', pages: 2 });
    expect(out.text).toBe('Slide one title\nBold & brief\n\nSlide two');
  });

  it('turns HTML into text without scripts or markup, whatever the declared type', async () => {
    const html =
      '<!doctype html><html><body><h1>Voice</h1><p>Plain <b>words</b>.</p><script>evil()</script></body></html>';
    const out = await extractDocument(Buffer.from(html), { declaredType: 'text/plain' });
    expect(out.kind).toBe('html');
    expect(out.text).toContain('Plain words.');
    expect(out.text).not.toContain('evil');
  });

  it('keeps CSV, Markdown and text as they are (BOM dropped)', async () => {
    const csv = await extractDocument(Buffer.from('\uFEFFword,use\nbold,always\n'), { fileName: 'a.csv' });
    expect(csv).toMatchObject({ kind: 'csv', text: 'word,use\nbold,always\n', wordCount: 2 });
    const md = await extractDocument(Buffer.from('# Tone\n\nBe kind.'), { declaredType: 'text/markdown' });
    expect(md).toMatchObject({ kind: 'markdown', pages: null, wordCount: 4 });
    expect((await extractDocument(Buffer.from('just text'))).kind).toBe('text');
  });

  it('lets the bytes decide: a PDF declared as DOCX is read as a PDF', async () => {
    const out = await extractDocument(pdf(['Declared wrong']), {
      declaredType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      fileName: 'guide.docx',
    });
    expect(out.kind).toBe('pdf');
  });
});

describe('extractDocument: every bound ends with its code', () => {
  it('empty file → no_text; a PDF without text → no_text', async () => {
    expect(await failureOf(extractDocument(Buffer.alloc(0)))).toBe('no_text');
    expect(await failureOf(extractDocument(pdf([''])))).toBe('no_text');
  });

  it('bytes of an unsupported type → unsupported_type', async () => {
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      'base64',
    );
    expect(await failureOf(extractDocument(png, { declaredType: 'application/pdf' }))).toBe(
      'unsupported_type',
    );
    expect(await failureOf(extractDocument(Buffer.from([0xde, 0xad, 0x00, 0xbe, 0xef])))).toBe(
      'unsupported_type',
    );
    // A zip that is neither DOCX nor PPTX (e.g. XLSX, or any archive).
    expect(await failureOf(extractDocument(zip([{ name: 'a.txt', data: Buffer.from('hi') }])))).toBe(
      'unsupported_type',
    );
  });

  it('file over the size limit → too_large', async () => {
    const limits = { ...DOCUMENT_LIMITS, maxFileBytes: 1000 };
    expect(await failureOf(extractDocument(Buffer.alloc(1001, 'a'), { limits }))).toBe('too_large');
  });

  it('text over 5 MiB → too_large', async () => {
    const big = Buffer.alloc(5 * MiB + 1, 'a ');
    expect(await failureOf(extractDocument(big))).toBe('too_large');
    const limits = { ...DOCUMENT_LIMITS, maxTextBytes: 10 };
    expect(await failureOf(extractDocument(pdf(['more than ten bytes of text']), { limits }))).toBe(
      'too_large',
    );
    expect(await failureOf(extractDocument(docx(['more than ten bytes of text']), { limits }))).toBe(
      'too_large',
    );
    expect(await failureOf(extractDocument(pptx([['more than ten bytes of text']]), { limits }))).toBe(
      'too_large',
    );
  });

  it('a PDF with 100,000 pages → too_large, without reading them', async () => {
    expect(await failureOf(extractDocument(pdf(['Cover'], { totalPages: 100_000 })))).toBe('too_large');
  });

  it('DOCX claiming 2,001 pages and a PPTX with too many slides → too_large', async () => {
    expect(await failureOf(extractDocument(docx(['x'], { pages: 2001 })))).toBe('too_large');
    const limits = { ...DOCUMENT_LIMITS, maxPages: 2 };
    expect(await failureOf(extractDocument(pptx([['a'], ['b'], ['c']]), { limits }))).toBe('too_large');
  });

  it('an encrypted PDF → encrypted', async () => {
    expect(await failureOf(extractDocument(pdf(['secret'], { encrypted: true })))).toBe('encrypted');
  });

  it('a zip bomb (DOCX) → too_large by ratio, before anything unpacks it in full', async () => {
    expect(await failureOf(extractDocument(await zipBombDocx(16 * MiB)))).toBe('too_large');
  });

  it('zip entries over 200 MiB declared → too_large; a header that lies about its size → too_large', async () => {
    const declared = docx(['x'], {
      extra: [{ name: 'word/media/a.bin', data: Buffer.alloc(10), declaredSize: 201 * MiB }],
    });
    expect(await failureOf(extractDocument(declared))).toBe('too_large');
    // Declares 10 bytes, really unpacks 2 MiB: caught by the capped inflate (limit lowered to keep the test small).
    const lying = docx(['x'], {
      extra: [{ name: 'word/media/b.bin', data: Buffer.alloc(2 * MiB, 7), declaredSize: 10 }],
    });
    const limits = { ...DOCUMENT_LIMITS, maxUncompressedBytes: 1 * MiB, maxCompressionRatio: 1_000_000 };
    expect(await failureOf(extractDocument(lying, { limits }))).toBe('too_large');
  });

  it('damaged files → corrupt', async () => {
    const p = pdf(['Damaged']);
    expect(await failureOf(extractDocument(p.subarray(0, 40)))).toBe('corrupt');
    const d = docx(['Damaged']);
    expect(await failureOf(extractDocument(d.subarray(0, d.length - 30)))).toBe('corrupt');
  });

  it('wall time over the limit → timeout', async () => {
    const many = pdf(Array.from({ length: 300 }, (_, i) => `Page ${i} of a long brand book`));
    const limits = { ...DOCUMENT_LIMITS, timeoutMs: 1 };
    expect(await failureOf(extractDocument(many, { limits }))).toBe('timeout');
  });
});

describe('object keys', () => {
  const user = '0b6c7e2a-1f51-4c53-9d5e-0d6b9a3c1e11';
  const asset = '7f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';

  it('are derived from the user and asset ids and parsed back strictly', () => {
    const key = assetObjectKey(user, asset);
    expect(key).toBe(`users/${user}/assets/${asset}`);
    expect(parseObjectKey(key)).toEqual({ userId: user, assetId: asset });
    expect(userPrefix(user)).toBe(`users/${user}/`);
  });

  it.each([
    `users/${user}/assets/${asset}/x`,
    `users/${user}/assets/${asset}.pdf`,
    `users/${user}/../${user}/assets/${asset}`,
    `/users/${user}/assets/${asset}`,
    `users/${user.toUpperCase()}/assets/${asset}`,
    `users/${user}/other/${asset}`,
    `tmp/users/${user}/assets/${asset}`,
    `users/not-a-uuid/assets/${asset}`,
    '',
  ])('refuses %s', (key) => {
    expect(parseObjectKey(key)).toBeNull();
  });

  it('decodes event keys (S3 URL-encodes them) and refuses broken encodings', () => {
    expect(decodeEventKey('users%2Fa+b')).toBe('users/a b');
    expect(decodeEventKey('%E0%A4%A')).toBeNull();
    expect(() => assetObjectKey('../etc', asset)).toThrow();
  });
});
