import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import pg from 'pg';
import { lambdaContext } from '#local/lambda';
import { dbSettings } from '#shared/config';
import type { HttpEvent, HttpResult } from '#shared/http/handler';
import { ROUTE_DEFAULTS } from '#shared/http/route';
import { type RecordedQuery, recordQueries, statementLabel } from './pg-calls.ts';
import { type ProfileBucket, profileCpu } from './profile.ts';
import { REPO_ROOT } from './shipped.ts';
import { type Summary, summarize } from './stats.ts';

export type LambdaHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** Imports a function's handler from its entry file, as the local gateway does. */
export async function loadHandler(key: string): Promise<LambdaHandler> {
  const url = pathToFileURL(path.join(REPO_ROOT, 'functions', `${key}.ts`)).href;
  return ((await import(url)) as { handler: LambdaHandler }).handler;
}

export interface LatencyCase {
  name: string;
  routeKey: string;
  event: (i: number) => HttpEvent;
  expectStatus: number;
  /** Rewrites the recorded statement parameters for raw iteration `i` (e.g. a unique name per insert). */
  rawValues?: (values: unknown[] | undefined, i: number) => unknown[] | undefined;
}

export interface LatencyResult {
  name: string;
  routeKey: string;
  iterations: number;
  handler: Summary;
  /** The same statements the handler sent (BEGIN, tenant context, query, COMMIT), over one raw pg.Client. */
  rawTransaction: Summary;
  /** Only the resource statement(s), autocommit, over the same raw client. */
  rawQueryOnly: Summary;
  statements: string[];
  ratioP50: number;
  ratioP50QueryOnly: number;
  /** Process CPU per call (measured apart from the timed loop) and where the handler's CPU goes. */
  cpu: { handlerMsPerCall: number; rawTransactionMsPerCall: number; handlerProfile: ProfileBucket[] };
}

const TX_CONTROL = /^\s*(BEGIN|COMMIT|ROLLBACK)\b/i;
const TENANT_CONTEXT = /^\s*select set_config\('app\.user_id'/i;

/** The startup options of shared/db/pool.ts for direct connections (same server-side limits). */
function startupOptions(): string {
  const s = dbSettings();
  return `-c statement_timeout=${s.statementTimeoutMs} -c lock_timeout=${s.statementTimeoutMs} -c idle_in_transaction_session_timeout=${s.idleInTransactionTimeoutMs}`;
}

const elapsed = async (fn: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

/**
 * Warm latency of one route through its full handler stack (middy, auth claims check, zod, withTenant, the
 * repository, JSON) invoked directly with an HTTP API v2 event, interleaved with the same SQL sent over a plain
 * `pg.Client` in the same process: first exactly the statements the handler sent (recorded from one
 * invocation), then only the resource statement. The order alternates every iteration so neither side is
 * systematically first after a pause.
 */
export async function measureLatency(
  cases: readonly LatencyCase[],
  appUrl: string,
  iterations: number,
  warmup: number,
): Promise<LatencyResult[]> {
  const raw = new pg.Client({ connectionString: appUrl, options: startupOptions() });
  await raw.connect();
  const results: LatencyResult[] = [];
  try {
    for (const c of cases) {
      const handler = await loadHandler(c.routeKey);
      // The event and context are built before the clock starts: the bench's own work is not the handler's.
      const prepare = (i: number) => ({
        event: c.event(i),
        context: lambdaContext({ functionName: c.routeKey, timeoutSeconds: ROUTE_DEFAULTS.timeoutSeconds }),
      });
      const invoke = async ({ event, context }: ReturnType<typeof prepare>) => {
        const res = await handler(event, context);
        if (res.statusCode !== c.expectStatus) {
          throw new Error(`${c.name}: status ${res.statusCode} (expected ${c.expectStatus}): ${res.body}`);
        }
      };
      const call = (i: number) => invoke(prepare(i));
      for (let i = 0; i < warmup; i++) await call(i);
      const recording = recordQueries();
      await call(warmup);
      const recorded = recording.stop();
      const replay = (queries: readonly RecordedQuery[], i: number) => async () => {
        for (const q of queries) await raw.query(q.text, c.rawValues ? c.rawValues(q.values, i) : q.values);
      };
      const resourceOnly = recorded.filter((q) => !TX_CONTROL.test(q.text) && !TENANT_CONTEXT.test(q.text));
      // Alone, the resource statement would see no rows under RLS: the raw client gets the tenant as a
      // session-level setting once (bench only; the application never sets it per session).
      const tenant = recorded.find((q) => TENANT_CONTEXT.test(q.text))?.values?.[0];
      await raw.query("select set_config('app.user_id', $1, false)", [String(tenant ?? '')]);
      for (let i = 0; i < warmup; i++) {
        await replay(recorded, i)();
        await replay(resourceOnly, warmup + i)();
      }
      const h: number[] = [];
      const tx: number[] = [];
      const q: number[] = [];
      const base = 10 * (warmup + 1);
      for (let i = 0; i < iterations; i++) {
        const n = base + 3 * i;
        if (i % 2 === 0) {
          const prepared = prepare(n);
          h.push(await elapsed(() => invoke(prepared)));
          tx.push(await elapsed(replay(recorded, n + 1)));
          q.push(await elapsed(replay(resourceOnly, n + 2)));
        } else {
          q.push(await elapsed(replay(resourceOnly, n + 2)));
          tx.push(await elapsed(replay(recorded, n + 1)));
          const prepared = prepare(n);
          h.push(await elapsed(() => invoke(prepared)));
        }
      }
      // CPU per call, apart from the timed loop (no profiler: it doubles the cost), then the handler's profile.
      const cpuCalls = Math.min(300, iterations);
      const cpuBase = base + 3 * iterations + 10;
      const cpuEvents = Array.from({ length: cpuCalls }, (_, i) => prepare(cpuBase + i));
      const handlerCpu0 = process.cpuUsage();
      for (const prepared of cpuEvents) await invoke(prepared);
      const handlerCpu = process.cpuUsage(handlerCpu0);
      const rawCpu0 = process.cpuUsage();
      for (let i = 0; i < cpuCalls; i++) await replay(recorded, cpuBase + cpuCalls + i)();
      const rawCpu = process.cpuUsage(rawCpu0);
      const profiledEvents = Array.from({ length: cpuCalls }, (_, i) => prepare(cpuBase + 2 * cpuCalls + i));
      const profile = await profileCpu(async () => {
        for (const prepared of profiledEvents) await invoke(prepared);
      }, 10);
      const handlerStats = summarize(h);
      const txStats = summarize(tx);
      const queryStats = summarize(q);
      results.push({
        name: c.name,
        routeKey: c.routeKey,
        iterations,
        handler: handlerStats,
        rawTransaction: txStats,
        rawQueryOnly: queryStats,
        statements: recorded.map((s) => statementLabel(s.text)),
        ratioP50: handlerStats.p50 / txStats.p50,
        ratioP50QueryOnly: handlerStats.p50 / queryStats.p50,
        cpu: {
          handlerMsPerCall: (handlerCpu.user + handlerCpu.system) / 1000 / cpuCalls,
          rawTransactionMsPerCall: (rawCpu.user + rawCpu.system) / 1000 / cpuCalls,
          handlerProfile: profile.buckets,
        },
      });
    }
  } finally {
    await raw.end();
  }
  return results;
}
