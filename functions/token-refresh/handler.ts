import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { refreshDueConnections } from '#shared/cloud-storage/scheduled-refresh';
import { logger } from '#shared/logger';
import { addRefreshMetrics, REFRESH_METRICS } from './metrics.ts';

// A pass holds one refresher connection per concurrent refresh (8); Lambda's default pool of 1 would serialise
// it. Read when the pool is created, on first use.
process.env.DB_POOL_MAX ??= '8';

const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'BrandCloud',
  serviceName: 'token-refresh',
});

/**
 * EventBridge, every 5 minutes: one pass over the due connections as the refresher role, stopping well before
 * the function's timeout (the rest is the next run's). Metrics are flushed once per run, also when it fails.
 */
export const handler = async (_event: unknown, context: Context) => {
  logger.addContext(context);
  let summary: Awaited<ReturnType<typeof refreshDueConnections>>;
  try {
    summary = await refreshDueConnections({ remainingTimeMs: () => context.getRemainingTimeInMillis() });
    addRefreshMetrics(metrics, summary);
  } catch (error) {
    metrics.addMetric(REFRESH_METRICS.errors, MetricUnit.Count, 1);
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
  // A failed invocation (the Errors alarm); the rows not done stay due for the next run.
  if (summary.stopReason === 'database') throw new Error('Scheduled token refresh: the database failed');
  return summary;
};
