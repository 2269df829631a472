import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runNodeForJson } from '../child-json.ts';
import type { BenchContext } from '../context.ts';
import { docxOfSize, pdfOfSize } from '../document-files.ts';
import type { DocumentRow } from '../results.ts';
import { REPO_ROOT } from '../shipped.ts';

export const EXTRACTION_RSS_TARGET_BYTES = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

interface ChildResult {
  ms: number;
  fileBytes: number;
  rssBeforeBytes: number;
  peakRssBytes: number;
  ok: boolean;
  textBytes?: number;
  pages?: number | null;
  code?: string;
}

/**
 * Section: document extraction (shared/documents/extract.ts, what the document worker runs) of generated PDF and
 * DOCX files at each size, each in a fresh Node 24 process whose peak RSS is the worker's memory for that file.
 */
export async function documentExtraction(ctx: BenchContext): Promise<DocumentRow[]> {
  const dir = path.join(ctx.workDir, 'documents');
  await mkdir(dir, { recursive: true });
  const rows: DocumentRow[] = [];
  for (const format of ['pdf', 'docx'] as const) {
    for (const sizeMiB of ctx.settings.documentSizesMiB) {
      const file = path.join(dir, `brand-${sizeMiB}.${format}`);
      await writeFile(file, format === 'pdf' ? pdfOfSize(sizeMiB * MiB) : docxOfSize(sizeMiB * MiB));
      const r = await runNodeForJson<ChildResult>(
        `extraction of ${path.basename(file)}`,
        ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'extract-child.ts'), file, path.basename(file)],
        { cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'WARN' } },
      );
      const row: DocumentRow = {
        format,
        sizeMiB,
        fileBytes: r.fileBytes,
        ok: r.ok,
        ...(r.code ? { failureCode: r.code } : {}),
        ms: r.ms,
        mbPerSecond: r.fileBytes / MiB / (r.ms / 1000),
        textBytes: r.textBytes ?? 0,
        pages: r.pages ?? null,
        rssBeforeMb: r.rssBeforeBytes / MiB,
        peakRssMb: r.peakRssBytes / MiB,
      };
      rows.push(row);
      ctx.log(
        `  ${format} ${sizeMiB} MiB: ${r.ok ? 'ok' : `failed ${r.code}`}, ${r.ms.toFixed(0)} ms (${row.mbPerSecond.toFixed(1)} MB/s), peak RSS ${row.peakRssMb.toFixed(0)} MB`,
      );
    }
  }
  return rows;
}
