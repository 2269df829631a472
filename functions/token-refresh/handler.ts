import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { scheduleDueRefreshes } from '#shared/cloud-storage/refresh-fanout';
import { refreshQueue } from '#shared/cloud-storage/refresh-queue';
import { purgeOAuthRows } from '#shared/cloud-storage/scheduled-refresh';
import { logger } from '#shared/logger';
import { addSchedulerMetrics, REFRESH_METRICS } from './metrics.ts';

const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'BrandCloud',
  serviceName: 'token-refresh-scheduler',
});

/**
 * EventBridge, every 5 minutes: the refresh scheduler. It only claims due connection ids (index-only on the due
 * instant, a lease keeps a claimed id out of the next claims, paused providers left out) and sends them to the
 * refresh queue, 10 per SendMessageBatch; the refresh workers (functions/token-refresh/worker.ts) refresh them.
 * It holds no vault or provider access. Expired OAuth attempts are purged first (housekeeping). Locally the queue
 * is the in-process one the local runtime registers.
 */
async function schedule(_event: unknown, context: Context) {
  try {
    const purgedOAuthRows = await purgeOAuthRows();
    const summary = await scheduleDueRefreshes({
      queue: refreshQueue(),
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
    });
    addSchedulerMetrics(metrics, summary);
    return { ...summary, purgedOAuthRows };
  } catch (error) {
    // A failed invocation (the Errors alarm): claims not sent stay due once their lease ends.
    metrics.addMetric(REFRESH_METRICS.errors, MetricUnit.Count, 1);
    throw error;
  }
}

/** Powertools' Lambda context and per-invocation key reset on the logger; metrics flushed once per run, also on failure. */
export const handler = middy(schedule)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
