import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { addRefreshMetrics, REFRESH_METRICS } from '#functions/token-refresh/metrics';
import { refreshDueConnections } from '#shared/cloud-storage/scheduled-refresh';
import { logger } from '#shared/logger';

// A pass holds one refresher connection per concurrent refresh (8); Lambda's default pool of 1 would serialise
// it. Read when the pool is created, on first use.
process.env.DB_POOL_MAX ??= '8';

const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'BrandCloud',
  serviceName: 'token-refresh',
});

/**
 * The single-pass refresh (`npm run refresh -- --single-pass`, and the bench's refresh figures): one pass over the
 * due connections as the refresher role, claiming, refreshing and counting in one process, with the metrics and
 * the summary line of the refresh functions. In AWS the pass is fanned out instead (functions/token-refresh/:
 * the scheduler queues ids, the workers refresh them); both use the same lock-and-re-check core.
 */
async function refreshPass(_event: unknown, context: Context) {
  let summary: Awaited<ReturnType<typeof refreshDueConnections>>;
  try {
    summary = await refreshDueConnections({ remainingTimeMs: () => context.getRemainingTimeInMillis() });
    addRefreshMetrics(metrics, summary);
  } catch (error) {
    metrics.addMetric(REFRESH_METRICS.errors, MetricUnit.Count, 1);
    throw error;
  }
  // A failed run; the rows not done stay due for the next run.
  if (summary.stopReason === 'database') throw new Error('Scheduled token refresh: the database failed');
  return summary;
}

/** Powertools' Lambda context and per-invocation key reset on the logger; metrics flushed once per run, also on failure. */
export const refreshPassHandler = middy(refreshPass)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
