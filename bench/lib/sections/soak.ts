import type { BenchContext } from '../context.ts';
import type { SoakResult } from '../results.ts';
import type { BenchStack } from '../stack.ts';
import { type LoadTenant, runLoad } from '../throughput.ts';

export const SOAK_RSS_FROM_SECOND = 20;
export const SOAK_RSS_GROWTH_TARGET = 0.1;

/**
 * Section: the local gateway soaked by autocannon (its own process) with two tenants interleaved on every
 * connection and mixed routes (list, get, create, update, brand strategy), every body checked for the other
 * tenant's rows; the gateway process's RSS sampled every second (the gateway, its handlers and the pg pool live
 * in this process).
 */
export async function gatewaySoak(
  ctx: BenchContext,
  bench: BenchStack,
  tenants: [LoadTenant, LoadTenant],
): Promise<SoakResult> {
  const { soakConnections, soakSeconds } = ctx.settings;
  ctx.log(`gateway soak: ${soakConnections} connections, ${soakSeconds} s, mixed routes, two tenants`);
  await runLoad(bench.stack.url, tenants, soakConnections, 2, 'mixed');
  const rss: Array<{ second: number; rssMb: number; heapUsedMb: number }> = [];
  const t0 = performance.now();
  const sample = () =>
    rss.push({
      second: Math.round((performance.now() - t0) / 100) / 10,
      rssMb: process.memoryUsage().rss / 1024 / 1024,
      heapUsedMb: process.memoryUsage().heapUsed / 1024 / 1024,
    });
  sample();
  const timer = setInterval(sample, 1000);
  let load: Awaited<ReturnType<typeof runLoad>>;
  try {
    load = await runLoad(bench.stack.url, tenants, soakConnections, soakSeconds, 'mixed');
  } finally {
    clearInterval(timer);
  }
  sample();
  // Mean of the samples within ±2 s of a second: one GC more or less does not decide the figure.
  const around = (second: number) => {
    const near = rss.filter((s) => Math.abs(s.second - second) <= 2);
    return near.reduce((a, s) => a + s.rssMb, 0) / Math.max(1, near.length);
  };
  const from = Math.min(SOAK_RSS_FROM_SECOND, soakSeconds / 3);
  const rssFrom = around(from);
  const rssTo = around(soakSeconds);
  ctx.log(
    `  ${load.requestsPerSecond.toFixed(0)} req/s, p99 ${load.latencyMs.p99} ms, non-2xx ${load.non2xx}, errors ${load.errors}, cross-tenant rows ${load.checks.crossTenantRows}; RSS ${rssFrom.toFixed(0)} → ${rssTo.toFixed(0)} MB`,
  );
  return {
    ...load,
    connections: soakConnections,
    rss,
    rssFromSecond: from,
    rssFromMb: rssFrom,
    rssToMb: rssTo,
    rssGrowth: (rssTo - rssFrom) / rssFrom,
  };
}
