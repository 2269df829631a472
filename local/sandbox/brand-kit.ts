import { deflatedZerosSync, docx, pdf, pptx } from '#local/documents/fixtures';
import type { Spec } from './files.ts';

/**
 * The `/Brand kit` folder every sandbox account gets: the documents an import meets in real drives, generated
 * by code the first time they are read (nothing binary is committed), the same bytes for the life of the process.
 *
 *   guidelines.pdf            a two-page PDF
 *   tone-of-voice.docx        a DOCX
 *   pitch.pptx                a PPTX
 *   Voice guide               Google Doc (exports: DOCX, text/plain)                      Google only
 *   Launch deck               Google Slides (exports: PPTX, text/plain)                   Google only
 *   Word list                 Google Sheet (exports: text/csv, the first sheet)           Google only
 *   Style manual              Google Doc whose DOCX export is over Drive's 10 MB cap: files.export answers 403
 *                             exportSizeLimitExceeded, its `exportLinks` serve it          Google only
 *   annual-brand-book.pdf     a 30 MiB PDF (two text pages and 30 MiB of scan-like data)
 *   locked.pdf                an encrypted PDF
 *   bomb.docx                 a zip bomb (a 64 KiB DOCX unpacking 16 MiB of zeros)
 */
export const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
export const PPTX_MIME = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

/** Sentences the tests look for in the extracted text. */
export const BRAND_KIT_TEXT = {
  guidelines: 'Our voice is warm, plain and direct.',
  tone: 'Write like you talk to a friend.',
  pitch: 'Clear beats clever.',
  voiceGuide: 'We say less and mean more.',
  launchDeck: 'Every slide earns its place.',
  wordList: 'customers,always',
  styleManual: 'The style manual is long on purpose.',
  brandBook: 'Thirty megabytes of brand.',
} as const;

export const BRAND_BOOK_PADDING = 30 * 1024 * 1024;
const MiB = 1024 * 1024;

/** Built once per process on first read; later reads return the same bytes. */
function once(make: () => Buffer): () => Buffer {
  let value: Buffer | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

const t = BRAND_KIT_TEXT;
const modified = '2025-02-03T10:00:00Z';

/** 11 MiB that does not compress (a stored photo, say), so the export is over the cap but no bomb. */
const photo = once(() => {
  const out = Buffer.alloc(11 * MiB);
  let x = 0x2545f491;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeInt32LE(x | 0, i);
  }
  return out;
});

export function brandKit(): Spec[] {
  return [
    {
      name: 'guidelines.pdf',
      kind: 'file',
      mimeType: 'application/pdf',
      content: guidelines,
      modifiedTime: modified,
    },
    { name: 'tone-of-voice.docx', kind: 'file', mimeType: DOCX_MIME, content: tone, modifiedTime: modified },
    { name: 'pitch.pptx', kind: 'file', mimeType: PPTX_MIME, content: pitch, modifiedTime: modified },
    {
      name: 'Voice guide',
      kind: 'document',
      mimeType: 'application/vnd.google-apps.document',
      exports: { [DOCX_MIME]: voiceGuideDocx, 'text/plain': voiceGuideText },
      modifiedTime: modified,
      googleOnly: true,
    },
    {
      name: 'Launch deck',
      kind: 'document',
      mimeType: 'application/vnd.google-apps.presentation',
      exports: { [PPTX_MIME]: launchDeck, 'text/plain': launchDeckText },
      modifiedTime: modified,
      googleOnly: true,
    },
    {
      name: 'Word list',
      kind: 'document',
      mimeType: 'application/vnd.google-apps.spreadsheet',
      exports: { 'text/csv': wordList },
      modifiedTime: modified,
      googleOnly: true,
    },
    {
      name: 'Style manual',
      kind: 'document',
      mimeType: 'application/vnd.google-apps.document',
      exports: { [DOCX_MIME]: styleManual, 'text/plain': styleManualText },
      modifiedTime: modified,
      googleOnly: true,
    },
    {
      name: 'annual-brand-book.pdf',
      kind: 'file',
      mimeType: 'application/pdf',
      content: brandBook,
      modifiedTime: modified,
    },
    {
      name: 'locked.pdf',
      kind: 'file',
      mimeType: 'application/pdf',
      content: locked,
      modifiedTime: modified,
    },
    { name: 'bomb.docx', kind: 'file', mimeType: DOCX_MIME, content: bomb, modifiedTime: modified },
  ];
}

const guidelines = once(() => pdf(['Brand guidelines', t.guidelines]));
const tone = once(() => docx(['Tone of voice', t.tone], { pages: 2 }));
const pitch = once(() => pptx([['Pitch'], [t.pitch]]));
const voiceGuideDocx = once(() => docx(['Voice guide', t.voiceGuide]));
const voiceGuideText = once(() => Buffer.from(`\ufeffVoice guide\r\n${t.voiceGuide}\r\n`));
const launchDeck = once(() => pptx([['Launch deck'], [t.launchDeck]]));
const launchDeckText = once(() => Buffer.from(`\ufeffLaunch deck\r\n\r\n${t.launchDeck}\r\n`));
const wordList = once(() => Buffer.from(`word,use\r\nclients,never\r\n${t.wordList}\r\n`));
const styleManual = once(() =>
  docx(['Style manual', t.styleManual], {
    extra: [{ name: 'word/media/image1.jpeg', data: photo(), store: true }],
  }),
);
const styleManualText = once(() => Buffer.from(`\ufeffStyle manual\r\n${t.styleManual}\r\n`));
const brandBook = once(() => pdf(['Annual brand book', t.brandBook], { paddingBytes: BRAND_BOOK_PADDING }));
const locked = once(() => pdf(['A secret plan'], { encrypted: true }));
const bomb = once(() =>
  docx(['A harmless looking first paragraph.'], {
    extra: [{ name: 'word/media/image1.bin', data: Buffer.alloc(0), deflated: deflatedZerosSync(16 * MiB) }],
  }),
);
