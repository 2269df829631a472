import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ScheduledRefreshSummary } from '#shared/cloud-storage/scheduled-refresh';

/** Metric names, one per outcome; the alarms (functions/jobs.ts) watch the config, vault, lost-token and error counts. */
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
} as const;

/** Adds one run's counts to Powertools Metrics (every metric every run, zeros included, so alarms see data). */
export function addRefreshMetrics(
  metrics: Pick<Metrics, 'addMetric'>,
  summary: ScheduledRefreshSummary,
): void {
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
