import { accessClaims, httpApiEvent, jsonBody } from '#local/lambda';
import type { BenchContext } from '../context.ts';
import { type LatencyCase, type LatencyResult, measureLatency } from '../latency.ts';
import type { BenchStack, BenchUser } from '../stack.ts';

export const LATENCY_TARGET_RATIO = 1.3;

/** Section: warm latency through the handler stack, interleaved with the same SQL over a raw pg client. */
export async function warmLatency(
  ctx: BenchContext,
  bench: BenchStack,
  user: BenchUser,
  ids: string[],
): Promise<LatencyResult[]> {
  const { latencyIterations, latencyWarmup } = ctx.settings;
  ctx.log(`warm latency: ${latencyIterations} iterations per route (handler, raw transaction, raw query)`);
  const claims = accessClaims(user.userId, bench.stack.cognito.clientId);
  const cases: LatencyCase[] = [
    {
      name: 'GET /competitors (25 rows)',
      routeKey: 'competitors/list',
      expectStatus: 200,
      event: () => httpApiEvent({ method: 'GET', routePath: '/competitors', claims }),
    },
    {
      name: 'GET /competitors/{id}',
      routeKey: 'competitors/get',
      expectStatus: 200,
      event: (i) =>
        httpApiEvent({
          method: 'GET',
          routePath: '/competitors/{id}',
          pathParameters: { id: ids[i % ids.length]! },
          claims,
        }),
    },
    {
      name: 'POST /competitors',
      routeKey: 'competitors/create',
      expectStatus: 201,
      event: (i) =>
        httpApiEvent({
          method: 'POST',
          routePath: '/competitors',
          ...jsonBody({ name: `latency-h-${i}`, website: 'https://example.com', strengths: ['a', 'b'] }),
          claims,
        }),
      rawValues: (values, i) =>
        values?.map((v) => (typeof v === 'string' && v.startsWith('latency-h-') ? `latency-r-${i}` : v)),
    },
    {
      name: 'GET /brand-strategy',
      routeKey: 'brand-strategy/get',
      expectStatus: 200,
      event: () => httpApiEvent({ method: 'GET', routePath: '/brand-strategy', claims }),
    },
  ];
  const latency = await measureLatency(cases, bench.stack.db.appUrl, latencyIterations, latencyWarmup);
  for (const l of latency) {
    ctx.log(
      `  ${l.name}: handler p50 ${l.handler.p50.toFixed(2)} ms, raw tx p50 ${l.rawTransaction.p50.toFixed(2)} ms (×${l.ratioP50.toFixed(2)})`,
    );
  }
  return latency;
}
