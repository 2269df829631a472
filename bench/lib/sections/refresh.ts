import type { SQSEvent } from 'aws-lambda';
import { InProcessQueue } from '#local/refresh-queue';
import {
  handleRefreshBatch,
  scheduleDueRefreshes,
  WORKER_CONCURRENCY,
} from '#shared/cloud-storage/refresh-fanout';
import { closePools } from '#shared/db/pool';
import { PROVIDERS } from '#shared/providers/types';
import { type Counted, counted } from '../calls.ts';
import type { BenchContext } from '../context.ts';
import { seedDueConnections } from '../refresh.ts';
import type { FanoutRow, WorkerRun } from '../results.ts';
import type { BenchStack } from '../stack.ts';

export const WORKER_RATIO_TARGET = 0.85;
export const FANOUT_EFFICIENCY_TARGET = 0.8;
/** SQS → Lambda batch size of the refresh queue (the event source's default). */
export const SQS_BATCH_SIZE = 10;

interface Drained {
  rows: number;
  refreshed: number;
  other: Record<string, number>;
  durationMs: number;
  rowsPerSecond: number;
  cpuMsPerRow: number;
  eventLoopUtilization: number;
  invocations: number;
  concurrency: number;
  counted: Counted<unknown>;
}

/**
 * Seeds `rows` due connections, lets the scheduler claim them into an in-process queue (SQS event shapes), then
 * `workers` pollers drain it, each invoking the worker handler (handleRefreshBatch, its default concurrency)
 * with batches of SQS_BATCH_SIZE, as Lambda's SQS integration does per concurrent instance. Only the drain is
 * timed.
 */
async function drainRun(
  bench: BenchStack,
  label: string,
  rows: number,
  workers: number,
  tokenLatencyMs: number,
): Promise<Drained> {
  const sandbox = bench.stack.sandbox!;
  await seedDueConnections(bench.superuserUrl, sandbox, rows, label);
  const queue = new InProcessQueue();
  const scheduled = await scheduleDueRefreshes({ queue });
  if (scheduled.claimed !== rows)
    throw new Error(`scheduler claimed ${scheduled.claimed} of ${rows} due rows`);
  for (const provider of PROVIDERS) sandbox.control.configure(provider, { tokenLatencyMs });
  const results: Record<string, number> = {};
  let concurrency = 0;
  const handler = (event: SQSEvent) =>
    handleRefreshBatch(event, {
      onResult: (_m, result) => {
        results[result] = (results[result] ?? 0) + 1;
      },
    });
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const run = await counted(bench.kms, () => queue.drain(handler, { workers, batchSize: SQS_BATCH_SIZE }));
  const durationMs = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  concurrency = WORKER_CONCURRENCY;
  const refreshed = results.refreshed ?? 0;
  const { refreshed: _r, ...other } = results;
  return {
    rows,
    refreshed,
    other,
    durationMs,
    rowsPerSecond: refreshed / (durationMs / 1000),
    cpuMsPerRow: (cpu.user + cpu.system) / 1000 / Math.max(1, refreshed),
    eventLoopUtilization: elu.utilization,
    invocations: run.result.invocations,
    concurrency,
    counted: run,
  };
}

/**
 * Section: the refresh worker against the sandbox token endpoint. (1) One worker, token latency
 * `tokenLatencyMs`: throughput against its concurrency bound (records at once ÷ token latency), with a serial
 * run (latency 0) for the row's own path. (2) The fan-out: 1, 2 and 4 workers draining one queue with a 200 ms
 * token endpoint.
 */
export async function refreshWorkers(
  ctx: BenchContext,
  bench: BenchStack,
): Promise<{ worker: WorkerRun; fanout: FanoutRow[] }> {
  const { refreshDue, tokenLatencyMs, fanoutTokenLatencyMs, fanoutRowsPerWorker } = ctx.settings;
  // Every in-process worker holds one connection per record in flight: a pool for four workers.
  await closePools();
  process.env.DB_POOL_MAX = '24';
  ctx.log('refresh worker: warm-up (pool, TLS sessions, KMS client)');
  await drainRun(bench, 'worker-warmup', 20, 1, tokenLatencyMs);
  ctx.log(`refresh worker: ${refreshDue} due rows, 1 worker, token latency ${tokenLatencyMs} ms`);
  const main = await drainRun(bench, 'worker', refreshDue, 1, tokenLatencyMs);
  const serialRows = 20;
  const serial = await drainRunSerial(bench, serialRows);
  const bound = main.concurrency / (tokenLatencyMs / 1000);
  const ops = main.counted.kmsOps;
  const worker: WorkerRun = {
    rows: main.rows,
    refreshed: main.refreshed,
    other: main.other,
    durationMs: main.durationMs,
    tokenLatencyMs,
    concurrency: main.concurrency,
    batchSize: SQS_BATCH_SIZE,
    invocations: main.invocations,
    rowsPerSecond: main.rowsPerSecond,
    boundRowsPerSecond: bound,
    ratio: main.rowsPerSecond / bound,
    roundTripsPerRow: main.counted.roundTrips / Math.max(1, main.refreshed),
    statementsOfFirstRow: [],
    kmsPerRow:
      (ops.filter((o) => o === 'GenerateDataKey' || o === 'Decrypt').length || 0) /
      Math.max(1, main.refreshed),
    cpuMsPerRow: main.cpuMsPerRow,
    eventLoopUtilization: main.eventLoopUtilization,
    serialRows,
    serialMsPerRow: serial.msPerRow,
    serialStatements: serial.statements,
  };
  ctx.log(
    `  ${main.refreshed}/${main.rows} in ${main.durationMs.toFixed(0)} ms: ${main.rowsPerSecond.toFixed(1)} rows/s of ${bound.toFixed(0)} (${(worker.ratio * 100).toFixed(0)} %); serial ${serial.msPerRow.toFixed(1)} ms/row`,
  );

  const fanout: FanoutRow[] = [];
  for (const workers of [1, 2, 4]) {
    const rows = fanoutRowsPerWorker * workers;
    ctx.log(`fan-out: ${workers} worker(s), ${rows} rows, token latency ${fanoutTokenLatencyMs} ms`);
    const run = await drainRun(bench, `fanout-${workers}`, rows, workers, fanoutTokenLatencyMs);
    const one = fanout[0]?.rowsPerSecond ?? run.rowsPerSecond;
    fanout.push({
      workers,
      rows,
      refreshed: run.refreshed,
      other: run.other,
      durationMs: run.durationMs,
      rowsPerSecond: run.rowsPerSecond,
      boundRowsPerSecond: (workers * run.concurrency) / (fanoutTokenLatencyMs / 1000),
      speedup: run.rowsPerSecond / one,
      efficiency: run.rowsPerSecond / one / workers,
      eventLoopUtilization: run.eventLoopUtilization,
    });
    ctx.log(
      `  ${run.rowsPerSecond.toFixed(1)} rows/s (×${(run.rowsPerSecond / one).toFixed(2)} of one worker)`,
    );
  }
  return { worker, fanout };
}

/** One record at a time, token latency 0: what a row costs besides the token wait, and its statements. */
async function drainRunSerial(
  bench: BenchStack,
  rows: number,
): Promise<{ msPerRow: number; statements: string[] }> {
  const sandbox = bench.stack.sandbox!;
  await seedDueConnections(bench.superuserUrl, sandbox, rows, 'worker-serial');
  const queue = new InProcessQueue();
  await scheduleDueRefreshes({ queue });
  for (const provider of PROVIDERS) sandbox.control.configure(provider, { tokenLatencyMs: 0 });
  const one = await counted(bench.kms, async () => {
    const records = queue.receive(1);
    await handleRefreshBatch({ Records: records }, { concurrency: 1 });
    queue.settle(
      records.map((r) => r.messageId),
      new Set(),
    );
  });
  const t0 = performance.now();
  await queue.drain((event) => handleRefreshBatch(event, { concurrency: 1 }), { workers: 1, batchSize: 1 });
  return { msPerRow: (performance.now() - t0) / (rows - 1), statements: one.statements };
}
