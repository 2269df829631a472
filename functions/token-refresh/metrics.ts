import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  emptyCounts,
  type OutcomeCounts,
  type RefreshOutcome,
  vaultErrorCode,
} from '#shared/cloud-storage/refresh-core';
import type { RefreshMessage, ScheduleSummary, WorkerResult } from '#shared/cloud-storage/refresh-fanout';
import type { ScheduledRefreshSummary } from '#shared/cloud-storage/scheduled-refresh';
import { logger } from '#shared/logger';

/**
 * Metric names, one per outcome; the alarms (functions/workers.ts, functions/jobs.ts) watch the config, vault,
 * lost-token and error counts of the workers and the send failures of the scheduler.
 */
export const REFRESH_METRICS = {
  refreshed: 'TokensRefreshed',
  transient: 'RefreshFailedTransient',
  needsReauth: 'RefreshNeedsReauth',
  skipped: 'RefreshSkipped',
  config: 'RefreshConfigErrors',
  vault: 'RefreshVaultErrors',
  rotatedTokensLost: 'RefreshTokensLost',
  errors: 'RefreshErrors',
  deferred: 'RefreshDeferred',
  duration: 'RefreshDurationMs',
  queued: 'RefreshIdsQueued',
  sendFailures: 'RefreshSendFailures',
} as const;

/** One worker batch's counts (the scheduled pass's categories: vault failures are also config failures). */
export interface WorkerSummary extends OutcomeCounts {
  /** Not started (paused provider, time budget, vault stop): back to the queue. */
  deferred: number;
  /** Database failures and unreadable messages. */
  errors: number;
  durationMs: number;
}

export const emptyWorkerSummary = (): WorkerSummary => ({ ...emptyCounts(), deferred: 0, durationMs: 0 });

/** Counts one record's result, and logs a failed refresh (never a token; `errorCode`, not `code`). */
export function recordWorkerResult(
  summary: WorkerSummary,
  message: RefreshMessage | undefined,
  result: WorkerResult,
  outcome: RefreshOutcome | undefined,
): void {
  switch (result) {
    case 'refreshed':
      summary.refreshed += 1;
      if (outcome?.kind === 'refreshed' && outcome.rotated) summary.rotated += 1;
      return;
    case 'needs_reauth':
      summary.needsReauth += 1;
      break;
    case 'transient':
      summary.transient += 1;
      break;
    case 'config':
      summary.config += 1;
      break;
    case 'vault':
      summary.config += 1;
      summary.vault += 1;
      if (outcome?.kind === 'vault' && outcome.rotatedTokenLost) summary.rotatedTokensLost += 1;
      break;
    case 'skipped_locked':
    case 'skipped_not_due':
      summary.skipped += 1;
      return;
    case 'paused':
    case 'deferred':
      summary.deferred += 1;
      return;
    case 'invalid':
    case 'error':
      summary.errors += 1;
      return;
  }
  if (message && outcome && outcome.kind !== 'refreshed') {
    logger.warn('Token refresh failed for a connection', {
      userId: message.userId,
      provider: message.provider,
      outcome: outcome.kind,
      errorCode: outcome.kind === 'vault' ? vaultErrorCode(outcome.reason) : outcome.code,
    });
  }
}

/** Adds one batch's counts to Powertools Metrics (every metric every batch, zeros included, so alarms see data). */
export function addWorkerMetrics(metrics: Pick<Metrics, 'addMetric'>, summary: WorkerSummary): void {
  metrics.addMetric(REFRESH_METRICS.refreshed, MetricUnit.Count, summary.refreshed);
  metrics.addMetric(REFRESH_METRICS.transient, MetricUnit.Count, summary.transient);
  metrics.addMetric(REFRESH_METRICS.needsReauth, MetricUnit.Count, summary.needsReauth);
  metrics.addMetric(REFRESH_METRICS.skipped, MetricUnit.Count, summary.skipped);
  metrics.addMetric(REFRESH_METRICS.config, MetricUnit.Count, summary.config);
  metrics.addMetric(REFRESH_METRICS.vault, MetricUnit.Count, summary.vault);
  metrics.addMetric(REFRESH_METRICS.rotatedTokensLost, MetricUnit.Count, summary.rotatedTokensLost);
  metrics.addMetric(REFRESH_METRICS.errors, MetricUnit.Count, summary.errors);
  metrics.addMetric(REFRESH_METRICS.deferred, MetricUnit.Count, summary.deferred);
  metrics.addMetric(REFRESH_METRICS.duration, MetricUnit.Milliseconds, summary.durationMs);
}

/** The scheduler's counts: ids queued, and claims released because SQS did not take them. */
export function addSchedulerMetrics(metrics: Pick<Metrics, 'addMetric'>, summary: ScheduleSummary): void {
  metrics.addMetric(REFRESH_METRICS.queued, MetricUnit.Count, summary.claimed);
  metrics.addMetric(REFRESH_METRICS.sendFailures, MetricUnit.Count, summary.released);
}

/** Adds one single pass's counts (local/refresh-pass.ts), under the same names as the workers'. */
export function addRefreshMetrics(
  metrics: Pick<Metrics, 'addMetric'>,
  summary: ScheduledRefreshSummary,
): void {
  addWorkerMetrics(metrics, summary);
}
