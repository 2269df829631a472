import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildWebApp } from '../../../web/build.ts';
import type { BenchContext } from '../context.ts';
import type { WebResult } from '../results.ts';

export const WEB_JS_GZIP_TARGET = 100 * 1024;

/** Section: the web app as `npm start` and `npm run build:web` build it; every JavaScript file, gzip -9. */
export async function webApp(ctx: BenchContext): Promise<WebResult> {
  const built = await buildWebApp(path.join(ctx.workDir, 'web'));
  const files = [];
  for (const file of built.files.filter((f) => f.endsWith('.js'))) {
    const code = await readFile(path.join(built.dir, file));
    files.push({ file, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length });
  }
  const gzipBytes = files.reduce((n, f) => n + f.gzipBytes, 0);
  ctx.log(`web app: ${files.length} JavaScript file(s), ${(gzipBytes / 1024).toFixed(1)} KB gzip`);
  return { files, bytes: files.reduce((n, f) => n + f.bytes, 0), gzipBytes };
}
