import type { BenchContext } from '../context.ts';
import type { ImportResult } from '../results.ts';
import type { BenchStack } from '../stack.ts';

export const IMPORT_RSS_GROWTH_TARGET_MB = 256;

/** Section: import of a 30 MB provider file (asynchronous, streamed into the document store). */
export async function providerImport(ctx: BenchContext, bench: BenchStack): Promise<ImportResult> {
  void bench;
  ctx.log('provider import: not measured (no asynchronous import on this main)');
  return {
    status: 'not measured',
    reason:
      '`POST /brand-voice-assets/import` is still the synchronous text import (≤ 1 MiB) on this main, and the sandbox serves no 30 MB file: there is no streamed import to measure yet',
  };
}
