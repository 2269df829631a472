import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { optionalEnv, requireEnv } from '#shared/config';
import type { EventPublisher, OutboundEvent } from './relay.ts';

/** `source` of every event this backend puts on the bus (rules match on it). */
export const EVENT_SOURCE = 'brand-cloud';

let client: Promise<EventBridgeClient> | undefined;

/**
 * Publishes to the stage's EventBridge custom bus (EVENT_BUS_NAME): `source` brand-cloud, `detail-type` the
 * event type, `detail` the event with its user, `time` when it occurred. PutEvents takes 10 entries per call and
 * reports failures per entry; those ids are returned so the relay retries them (and holds their subjects back).
 * EventBridge has no deduplication of its own: the event id in the detail is the consumers' idempotency key.
 */
export function eventBridgePublisher(options: { busName?: string; endpoint?: string } = {}): EventPublisher {
  const busName = options.busName ?? requireEnv('EVENT_BUS_NAME');
  const endpoint = options.endpoint ?? optionalEnv('EVENTBRIDGE_ENDPOINT');
  return {
    batchSize: 10,
    async publish(events: OutboundEvent[]) {
      const sdk = await import('@aws-sdk/client-eventbridge');
      client ??= Promise.resolve(new sdk.EventBridgeClient(endpoint ? { endpoint } : {}));
      const out = await (await client).send(
        new sdk.PutEventsCommand({
          Entries: events.map((event) => ({
            EventBusName: busName,
            Source: EVENT_SOURCE,
            DetailType: event.type,
            Detail: JSON.stringify(event),
            Time: new Date(event.occurredAt),
            Resources: [],
          })),
        }),
      );
      const failedIds = (out.Entries ?? [])
        .map((entry, i) => (entry.ErrorCode ? events[i]?.id : undefined))
        .filter((id): id is string => Boolean(id));
      // Fewer result entries than sent would be a protocol error: treat the missing ones as failed.
      for (let i = out.Entries?.length ?? 0; i < events.length; i += 1) failedIds.push(events[i]!.id);
      return { failedIds };
    },
  };
}
