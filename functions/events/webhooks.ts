import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { intEnv, optionalEnv } from '#shared/config';
import { sqsDeadLetter } from '#shared/events/dead-letter';
import { EVENT_POLL_MS, runWindow } from '#shared/events/run-window';
import { webhookSecret } from '#shared/events/webhook-secret';
import { deliverWebhooks } from '#shared/events/webhooks';
import { logger } from '#shared/logger';

const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'BrandCloud',
  serviceName: 'webhooks',
});

/**
 * EventBridge, every minute: delivers due webhooks (signed, in order per connection) to the stage's WEBHOOK_URL,
 * polling every EVENT_POLL_MS (250 ms) for most of the minute;
 * after 24 hours of failures a delivery goes to the dead-letter queue (WEBHOOK_DLQ_URL), whose depth alarms.
 * Without a webhook URL the stage has no webhooks and this does nothing.
 */
export const handler = async (_event: unknown, context: Context) => {
  logger.addContext(context);
  const url = optionalEnv('WEBHOOK_URL');
  if (!url) return { skipped: 'no WEBHOOK_URL' };
  const secret = await webhookSecret();
  const queueUrl = optionalEnv('WEBHOOK_DLQ_URL');
  const totals = { attempts: 0, delivered: 0, retried: 0, deadLettered: 0, errors: 0 };
  try {
    await runWindow({
      windowMs: Math.min(intEnv('WEBHOOK_WINDOW_MS', 45_000), context.getRemainingTimeInMillis() - 15_000),
      pauseMs: EVENT_POLL_MS,
      pass: async () => {
        const summary = await deliverWebhooks({
          url,
          secret,
          remainingTimeMs: () => context.getRemainingTimeInMillis(),
          ...(queueUrl ? { deadLetter: sqsDeadLetter(queueUrl) } : {}),
        });
        for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += summary[key];
        return summary.attempts > 0 && summary.errors === 0;
      },
    });
  } finally {
    metrics.addMetric('WebhooksDelivered', MetricUnit.Count, totals.delivered);
    metrics.addMetric('WebhookRetries', MetricUnit.Count, totals.retried);
    metrics.addMetric('WebhooksDeadLettered', MetricUnit.Count, totals.deadLettered);
    metrics.addMetric('WebhookErrors', MetricUnit.Count, totals.errors);
    metrics.publishStoredMetrics();
  }
  return totals;
};
