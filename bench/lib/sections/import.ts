import { setTimeout as sleep } from 'node:timers/promises';
import { routes } from '#functions/routes';
import type { BenchContext } from '../context.ts';
import type { ImportResult } from '../results.ts';
import type { BenchStack, BenchUser } from '../stack.ts';

export const IMPORT_RSS_GROWTH_TARGET_MB = 256;
/** The sandbox's 30 MiB provider file (local/sandbox/brand-kit.ts), in its `Brand kit` folder. */
const BIG_FILE = 'annual-brand-book.pdf';
const FOLDER = 'Brand kit';

interface CloudFile {
  id: string;
  name: string;
  isFolder: boolean;
  size: number | null;
}

/**
 * Section: import of the sandbox's 30 MiB provider file through the API (202, then the document worker copies it
 * into the document store and extracts it), the user connected to the sandbox Google Drive through the OAuth
 * flow first. The local stack runs the worker in this process, so this process's RSS, sampled every 20 ms from
 * the request until the asset is ready or failed, is the import's memory.
 */
export async function providerImport(
  ctx: BenchContext,
  bench: BenchStack,
  user: BenchUser,
): Promise<ImportResult> {
  const route = (routes as Record<string, { status?: number }>)['brand-voice-assets/import'];
  if (route?.status !== 202) {
    ctx.log('provider import: not measured (no asynchronous import on this main)');
    return {
      status: 'not measured',
      reason:
        '`POST /brand-voice-assets/import` is still the synchronous text import (≤ 1 MiB) on the main this run measured: there is no streamed import of a 30 MB file to measure',
    };
  }
  const token = user.accessToken;
  const sandbox = bench.stack.sandbox!;
  const connect = await bench.api<{ authorizationUrl: string }>(
    'GET',
    '/cloud-storage/connect/google_drive',
    {
      token,
    },
  );
  const callbackUrl = await sandbox.control.consent(connect.body.authorizationUrl);
  const callback = await fetch(`${bench.stack.url}${callbackUrl.pathname}${callbackUrl.search}`, {
    redirect: 'manual',
  });
  await callback.arrayBuffer();
  const ticket = new URL(callback.headers.get('location') ?? '', bench.stack.url).searchParams.get('ticket');
  const confirmed = await bench.api('POST', '/cloud-storage/connections/google_drive/confirm', {
    token,
    body: { ticket },
  });
  if (confirmed.status !== 200) throw new Error(`import: confirm answered ${confirmed.status}`);
  const list = async (folderId?: string) =>
    (
      await bench.api<{ items: CloudFile[] }>(
        'GET',
        `/cloud-storage/google_drive/files${folderId ? `?folderId=${encodeURIComponent(folderId)}&limit=100` : '?limit=100'}`,
        { token },
      )
    ).body.items ?? [];
  const folder = (await list()).find((f) => f.isFolder && f.name === FOLDER);
  const file = folder && (await list(folder.id)).find((f) => f.name === BIG_FILE);
  if (!file) {
    return { status: 'not measured', reason: `the sandbox Google Drive has no ${FOLDER}/${BIG_FILE}` };
  }
  ctx.log(
    `provider import: ${BIG_FILE} (${((file.size ?? 0) / 1024 / 1024).toFixed(0)} MiB) through the API and the document worker`,
  );
  global.gc?.();
  await sleep(200);
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  let samples = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
    samples += 1;
  }, 20);
  const t0 = performance.now();
  let status = 'unknown';
  try {
    const res = await bench.api<{ asset: { id: string; status: string } }>(
      'POST',
      '/brand-voice-assets/import',
      {
        token,
        body: { provider: 'google_drive', fileId: file.id, category: 'brand_guidelines' },
      },
    );
    if (res.status !== 202) throw new Error(`import answered ${res.status}: ${res.text.slice(0, 200)}`);
    const deadline = Date.now() + 180_000;
    for (status = res.body.asset.status; !['ready', 'failed'].includes(status) && Date.now() < deadline; ) {
      await sleep(100);
      const got = await bench.api<{ status: string; failureCode?: string | null }>(
        'GET',
        `/brand-voice-assets/${res.body.asset.id}`,
        { token },
      );
      status = got.body.status === 'failed' ? `failed (${got.body.failureCode})` : got.body.status;
      if (status.startsWith('failed')) break;
    }
  } finally {
    clearInterval(timer);
  }
  const durationMs = performance.now() - t0;
  const mb = (b: number) => b / 1024 / 1024;
  ctx.log(
    `  ${status} in ${durationMs.toFixed(0)} ms; RSS ${mb(rssBefore).toFixed(0)} → peak ${mb(peak).toFixed(0)} MB`,
  );
  return {
    status: 'measured',
    fileBytes: file.size ?? 0,
    assetStatus: status,
    durationMs,
    rssBeforeMb: mb(rssBefore),
    rssPeakMb: mb(peak),
    rssGrowthMb: mb(peak - rssBefore),
    samples,
    note: 'the local stack runs the API, the document worker (copy into the local S3 and extraction) and the sandbox provider serving the file in the bench process: the growth is all of them together',
  };
}
