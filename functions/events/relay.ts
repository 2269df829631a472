import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { intEnv } from '#shared/config';
import { eventBridgePublisher } from '#shared/events/eventbridge';
import { relayEvents } from '#shared/events/relay';
import { EVENT_POLL_MS, runWindow } from '#shared/events/run-window';
import { logger } from '#shared/logger';

const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'BrandCloud',
  serviceName: 'event-relay',
});

/**
 * EventBridge, every minute (reserved concurrency 1): publishes the outbox to the stage's event bus and queues
 * webhook deliveries, polling every EVENT_POLL_MS (250 ms) for most of the minute so events leave within about that.
 */
export const handler = async (_event: unknown, context: Context) => {
  logger.addContext(context);
  const publisher = eventBridgePublisher();
  let published = 0;
  let failed = 0;
  try {
    await runWindow({
      windowMs: Math.min(
        intEnv('EVENT_RELAY_WINDOW_MS', 45_000),
        context.getRemainingTimeInMillis() - 10_000,
      ),
      pauseMs: EVENT_POLL_MS,
      pass: async () => {
        const summary = await relayEvents({ publisher });
        published += summary.published;
        failed += summary.failed;
        return summary.published > 0 && summary.failed === 0;
      },
    });
  } finally {
    metrics.addMetric('EventsPublished', MetricUnit.Count, published);
    metrics.addMetric('EventPublishFailures', MetricUnit.Count, failed);
    metrics.publishStoredMetrics();
  }
  return { published, failed };
};
