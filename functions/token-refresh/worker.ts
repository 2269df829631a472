import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleRefreshBatch, WORKER_CONCURRENCY } from '#shared/cloud-storage/refresh-fanout';
import { logger } from '#shared/logger';
import { addWorkerMetrics, emptyWorkerSummary, REFRESH_METRICS, recordWorkerResult } from './metrics.ts';

// WORKER_CONCURRENCY records at once, each on its own refresher connection, plus one for the pause writes
// between them. Read when the pool is created, on first use.
process.env.DB_POOL_MAX ??= String(WORKER_CONCURRENCY + 1);

const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'BrandCloud',
  serviceName: 'token-refresh',
});

/**
 * SQS, up to 10 connection ids a batch (sent by the scheduler, functions/token-refresh/handler.ts): each is
 * refreshed under its row lock with the same core as refresh on use, as the refresher role. Records to retry come
 * back as `batchItemFailures` (partial batch failures): a paused provider, a database error, the time budget or a
 * key-level vault failure; SQS redelivers them after the visibility timeout and dead-letters them after five.
 */
async function refreshBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const started = Date.now();
  const summary = emptyWorkerSummary();
  let response: SQSBatchResponse;
  try {
    response = await handleRefreshBatch(event, {
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      onResult: (message, result, outcome) => recordWorkerResult(summary, message, result, outcome),
    });
  } catch (error) {
    // Not expected (each record's database failure is its own `error` result); the whole batch comes back.
    metrics.addMetric(REFRESH_METRICS.errors, MetricUnit.Count, 1);
    throw error;
  }
  summary.durationMs = Date.now() - started;
  addWorkerMetrics(metrics, summary);
  logger.info('Token refresh worker', { summary, retried: response.batchItemFailures.length });
  return response;
}

/** Powertools' Lambda context and per-invocation key reset on the logger; metrics flushed once per batch. */
export const handler = middy(refreshBatch)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
