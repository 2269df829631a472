import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { SQSRecord } from 'aws-lambda';
import { workers } from '#functions/workers';
import { InProcessQueue } from '#local/refresh-queue';
import {
  handleRefreshBatch,
  scheduleDueRefreshes,
  WORKER_CONCURRENCY,
} from '#shared/cloud-storage/refresh-fanout';
import { PROVIDERS } from '#shared/providers/types';
import { counted } from '../calls.ts';
import type { BenchContext } from '../context.ts';
import { seedDueConnections } from '../refresh.ts';
import type { FanoutRow, WorkerRun } from '../results.ts';
import { REPO_ROOT } from '../shipped.ts';
import type { BenchStack } from '../stack.ts';
import { addSteps, noSteps, type StepTimes, timeWorkerSteps } from '../worker-steps.ts';

export const WORKER_RATIO_TARGET = 0.85;
export const FANOUT_EFFICIENCY_TARGET = 0.8;
/** The refresh worker's SQS batch size, as deployed (functions/workers.ts). */
export const SQS_BATCH_SIZE = workers['token-refresh/worker'].batchSize;
/** SQS's default batch size, measured beside it for reference. */
const SQS_DEFAULT_BATCH_SIZE = 10;

interface ChildAnswer {
  ready?: boolean;
  failures?: string[];
  crashed?: string;
  results?: Record<string, number>;
  cpuMs?: number;
  wallMs?: number;
  steps?: StepTimes;
}

/** A worker process: one concurrent Lambda instance of the refresh worker (bench/refresh-worker-child.ts). */
class WorkerProcess {
  private pending?: { resolve: (answer: ChildAnswer) => void; reject: (error: Error) => void };
  private constructor(private readonly child: ChildProcess) {
    child.on('message', (answer: ChildAnswer) => {
      const waiting = this.pending;
      this.pending = undefined;
      waiting?.resolve(answer);
    });
    child.on('exit', (code) => this.pending?.reject(new Error(`refresh worker process exited (${code})`)));
  }

  static async start(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
    const child = fork(path.join(REPO_ROOT, 'bench', 'refresh-worker-child.ts'), [], {
      cwd: REPO_ROOT,
      env,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const worker = new WorkerProcess(child);
    const ready = await worker.next();
    if (!ready.ready) throw new Error('refresh worker process did not start');
    return worker;
  }

  private next(): Promise<ChildAnswer> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
    });
  }

  invoke(records: SQSRecord[]): Promise<ChildAnswer> {
    const answer = this.next();
    this.child.send({ records });
    return answer;
  }

  stop(): void {
    this.child.send({ exit: true });
  }
}

interface Drained {
  rows: number;
  refreshed: number;
  other: Record<string, number>;
  durationMs: number;
  rowsPerSecond: number;
  cpuMsPerRow: number;
  invocations: number;
  kmsCalls: number;
  /** Summed over the invocations: their wall time and each step's (bench/lib/worker-steps.ts). */
  handlerMs: number;
  steps: StepTimes;
}

/**
 * Seeds `rows` due connections, lets the scheduler claim them into the local queue (SQS event shapes), then the
 * first `count` worker processes drain it: each polls batches of SQS_BATCH_SIZE and invokes its handler with
 * them, as Lambda's SQS integration does per concurrent instance; failed records come back to the queue. Only
 * the drain is timed.
 */
async function drainRun(
  bench: BenchStack,
  workers: WorkerProcess[],
  label: string,
  rows: number,
  tokenLatencyMs: number,
  batchSize: number = SQS_BATCH_SIZE,
): Promise<Drained> {
  const sandbox = bench.stack.sandbox!;
  await seedDueConnections(bench.superuserUrl, sandbox, rows, label);
  const queue = new InProcessQueue();
  const scheduled = await scheduleDueRefreshes({ queue });
  if (scheduled.claimed !== rows)
    throw new Error(`scheduler claimed ${scheduled.claimed} of ${rows} due rows`);
  for (const provider of PROVIDERS) sandbox.control.configure(provider, { tokenLatencyMs });
  const results: Record<string, number> = {};
  let cpuMs = 0;
  let handlerMs = 0;
  const steps = noSteps();
  let invocations = 0;
  const kmsBefore = bench.kms.calls.length;
  const t0 = performance.now();
  await Promise.all(
    workers.map(async (worker) => {
      for (let round = 0; round < 10_000; round++) {
        const records = queue.receive(batchSize);
        if (records.length === 0) return;
        invocations += 1;
        const answer = await worker.invoke(records);
        for (const [k, v] of Object.entries(answer.results ?? {})) results[k] = (results[k] ?? 0) + v;
        cpuMs += answer.cpuMs ?? 0;
        handlerMs += answer.wallMs ?? 0;
        if (answer.steps) addSteps(steps, answer.steps);
        const ids = records.map((r) => r.messageId);
        queue.settle(ids, new Set(answer.crashed ? ids : (answer.failures ?? [])));
      }
    }),
  );
  const durationMs = performance.now() - t0;
  const refreshed = results.refreshed ?? 0;
  const { refreshed: _r, ...other } = results;
  return {
    rows,
    refreshed,
    other,
    durationMs,
    rowsPerSecond: refreshed / (durationMs / 1000),
    cpuMsPerRow: cpuMs / Math.max(1, refreshed),
    invocations,
    kmsCalls: bench.kms.calls.length - kmsBefore,
    handlerMs,
    steps,
  };
}

/**
 * Section: the refresh worker against the sandbox token endpoints, each worker in its own process (one Lambda
 * instance: its own event loop and pool; the sandbox and the KMS fake stay in the bench process). (1) One worker,
 * token latency `tokenLatencyMs`: throughput against its concurrency bound (records at once ÷ token latency),
 * and one record alone (latency 0, in this process) for the row's own path and its statements. (2) The fan-out:
 * 1, 2 and 4 workers draining one queue with a 200 ms token endpoint.
 */
export async function refreshWorkers(
  ctx: BenchContext,
  bench: BenchStack,
): Promise<{ worker: WorkerRun; fanout: FanoutRow[] }> {
  const { refreshDue, tokenLatencyMs, fanoutTokenLatencyMs, fanoutRowsPerWorker } = ctx.settings;
  const env = {
    ...process.env,
    BENCH_SANDBOX_CA: bench.stack.sandbox!.caPem,
    DB_POOL_MAX: String(WORKER_CONCURRENCY + 1),
    LOG_LEVEL: 'ERROR',
  };
  ctx.log('refresh workers: starting 4 worker processes');
  const processes = await Promise.all(Array.from({ length: 4 }, () => WorkerProcess.start(env)));
  try {
    ctx.log('  warm-up (pool, TLS sessions, KMS client) of each');
    for (const [i, p] of processes.entries()) await drainRun(bench, [p], `warmup-${i}`, 10, tokenLatencyMs);

    ctx.log(`refresh worker: ${refreshDue} due rows, 1 worker, token latency ${tokenLatencyMs} ms`);
    const main = await drainRun(bench, processes.slice(0, 1), 'worker', refreshDue, tokenLatencyMs);
    ctx.log(`  the same at SQS's default batch of ${SQS_DEFAULT_BATCH_SIZE}, for reference`);
    const atDefault = await drainRun(
      bench,
      processes.slice(0, 1),
      'worker-default-batch',
      refreshDue,
      tokenLatencyMs,
      SQS_DEFAULT_BATCH_SIZE,
    );
    const serialRows = 20;
    const serial = await serialPath(bench, serialRows);
    const bound = WORKER_CONCURRENCY / (tokenLatencyMs / 1000);
    const worker: WorkerRun = {
      rows: main.rows,
      refreshed: main.refreshed,
      other: main.other,
      durationMs: main.durationMs,
      tokenLatencyMs,
      concurrency: WORKER_CONCURRENCY,
      batchSize: SQS_BATCH_SIZE,
      invocations: main.invocations,
      rowsPerSecond: main.rowsPerSecond,
      boundRowsPerSecond: bound,
      ratio: main.rowsPerSecond / bound,
      roundTripsPerRow: serial.statements.length,
      kmsPerRow: main.kmsCalls / Math.max(1, main.refreshed),
      cpuMsPerRow: main.cpuMsPerRow,
      slot: slotTime(main),
      atDefaultBatch: {
        batchSize: SQS_DEFAULT_BATCH_SIZE,
        refreshed: atDefault.refreshed,
        rowsPerSecond: atDefault.rowsPerSecond,
        ratio: atDefault.rowsPerSecond / bound,
        slot: slotTime(atDefault),
      },
      serialRows,
      serial: serial.steps,
      serialStatements: serial.statements,
    };
    ctx.log(
      `  ${main.refreshed}/${main.rows} in ${main.durationMs.toFixed(0)} ms: ${main.rowsPerSecond.toFixed(1)} rows/s of ${bound.toFixed(0)} (${(worker.ratio * 100).toFixed(0)} %); alone ${serial.steps.slotMs.toFixed(1)} ms/row`,
    );

    const fanout: FanoutRow[] = [];
    for (const count of [1, 2, 4]) {
      const rows = fanoutRowsPerWorker * count;
      ctx.log(`fan-out: ${count} worker(s), ${rows} rows, token latency ${fanoutTokenLatencyMs} ms`);
      const run = await drainRun(
        bench,
        processes.slice(0, count),
        `fanout-${count}`,
        rows,
        fanoutTokenLatencyMs,
      );
      const one = fanout[0]?.rowsPerSecond ?? run.rowsPerSecond;
      fanout.push({
        workers: count,
        rows,
        refreshed: run.refreshed,
        other: run.other,
        durationMs: run.durationMs,
        rowsPerSecond: run.rowsPerSecond,
        boundRowsPerSecond: (count * WORKER_CONCURRENCY) / (fanoutTokenLatencyMs / 1000),
        speedup: run.rowsPerSecond / one,
        efficiency: run.rowsPerSecond / one / count,
        cpuMsPerRow: run.cpuMsPerRow,
      });
      ctx.log(
        `  ${run.rowsPerSecond.toFixed(1)} rows/s (×${(run.rowsPerSecond / one).toFixed(2)} of one worker)`,
      );
    }
    return { worker, fanout };
  } finally {
    for (const p of processes) p.stop();
  }
}

/**
 * Per refreshed row: a record's time in its slot (`slotTotalMs`, all slots' time together, over the rows: for a
 * worker the handler's wall time × records at once, so a slot left idle at a batch's end counts; for records one
 * at a time their wall time) and what it waited for in it; the rest is the worker's own code and idle slots.
 */
function perRow(steps: StepTimes, slotTotalMs: number, rows: number): WorkerRun['slot'] {
  const per = (value: number) => value / Math.max(1, rows);
  const slotMs = per(slotTotalMs);
  return {
    slotMs,
    tokenMs: per(steps.tokenMs),
    decryptMs: per(steps.decryptMs),
    decryptCalls: per(steps.decryptCalls),
    dbMs: per(steps.dbMs),
    dbCalls: per(steps.dbCalls),
    otherMs: slotMs - per(steps.tokenMs + steps.decryptMs + steps.dbMs),
    dataKeyMs: per(steps.kmsOtherMs),
    dataKeyCalls: per(steps.kmsOtherCalls),
  };
}

/** A worker's drain, per refreshed row (perRow). */
const slotTime = (run: Drained): WorkerRun['slot'] =>
  perRow(run.steps, run.handlerMs * WORKER_CONCURRENCY, run.refreshed);

/** Records one at a time in this process, token latency 0: a row's own cost and its statements. */
async function serialPath(
  bench: BenchStack,
  rows: number,
): Promise<{ statements: string[]; steps: WorkerRun['serial'] }> {
  const sandbox = bench.stack.sandbox!;
  await seedDueConnections(bench.superuserUrl, sandbox, rows, 'worker-serial');
  const queue = new InProcessQueue();
  await scheduleDueRefreshes({ queue });
  for (const provider of PROVIDERS) sandbox.control.configure(provider, { tokenLatencyMs: 0 });
  const records = queue.receive(1);
  const one = await counted(bench.kms, () => handleRefreshBatch({ Records: records }, { concurrency: 1 }));
  queue.settle(
    records.map((r) => r.messageId),
    new Set(),
  );
  const steps = timeWorkerSteps();
  steps.take();
  const t0 = performance.now();
  await queue.drain((event) => handleRefreshBatch(event, { concurrency: 1 }), { workers: 1, batchSize: 1 });
  const wallMs = performance.now() - t0;
  return { statements: one.statements, steps: perRow(steps.take(), wallMs, rows - 1) };
}
