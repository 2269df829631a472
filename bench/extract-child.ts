/**
 * One document extraction in a fresh process (a document worker's share of memory): reads the file named by
 * argv[2], extracts it with shared/documents/extract.ts, prints one JSON line (time, the process's peak RSS,
 * its RSS before the file was read, the text's size).
 */
import { readFile } from 'node:fs/promises';
import { extractDocument } from '#shared/documents/extract';

const file = process.argv[2]!;
const name = process.argv[3] ?? file;
// The extractors are imported lazily by extractDocument: a tiny document first, so their code is loaded
// before the baseline is taken (the baseline is the warm worker without a document).
await extractDocument(Buffer.from('warm up the text path'), { fileName: 'warm.txt' }).catch(() => undefined);
const rssBeforeBytes = process.memoryUsage().rss;
const bytes = await readFile(file);
const t0 = performance.now();
let outcome: { ok: true; textBytes: number; pages: number | null } | { ok: false; code: string };
try {
  const extracted = await extractDocument(bytes, { fileName: name });
  outcome = { ok: true, textBytes: Buffer.byteLength(extracted.text), pages: extracted.pages };
} catch (error) {
  outcome = { ok: false, code: String((error as { code?: string }).code ?? (error as Error).message) };
}
const ms = performance.now() - t0;
process.stdout.write(
  `${JSON.stringify({ ms, fileBytes: bytes.length, rssBeforeBytes, peakRssBytes: process.resourceUsage().maxRSS * 1024, ...outcome })}\n`,
);
process.exit(0);
