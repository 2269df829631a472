/**
 * The local stand-ins of the event relay and the webhook deliverer (`npm start`): the same `relayEvents` and
 * `deliverWebhooks` the Lambdas run, in this process, at the Lambdas' poll period (EVENT_POLL_MS, 250 ms). The
 * EventBridge bus is an in-process bus (the events are kept in memory for inspection); webhooks go to WEBHOOK_URL
 * when it is set, signed with the secret in `.local/webhook-secret` (or WEBHOOK_SECRET).
 */
import path from 'node:path';
import { optionalEnv } from '#shared/config';
import type { EventPublisher, OutboundEvent } from '#shared/events/relay';
import { relayEvents } from '#shared/events/relay';
import { EVENT_POLL_MS } from '#shared/events/run-window';
import { webhookSecret } from '#shared/events/webhook-secret';
import { deliverWebhooks } from '#shared/events/webhooks';

/** An in-process event bus: accepts everything, keeps the last `keep` events, tells subscribers. */
export function inProcessBus(keep = 1_000): EventPublisher & {
  readonly events: OutboundEvent[];
  subscribe(listener: (event: OutboundEvent) => void): () => void;
} {
  const events: OutboundEvent[] = [];
  const listeners = new Set<(event: OutboundEvent) => void>();
  return {
    batchSize: 10,
    events,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async publish(batch) {
      for (const event of batch) {
        events.push(event);
        if (events.length > keep) events.shift();
        for (const listener of listeners) listener(event);
      }
      return { failedIds: [] };
    },
  };
}

export interface LocalEvents {
  bus: ReturnType<typeof inProcessBus>;
  webhookUrl: string | undefined;
  /** The first pass has run (its database connection is open): `npm start` prints its banner after it. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** The local loop's period: LOCAL_EVENTS_INTERVAL_MS, default the Lambdas' pause between idle passes. */
export const localEventsIntervalMs = (): number =>
  Number(optionalEnv('LOCAL_EVENTS_INTERVAL_MS') ?? EVENT_POLL_MS);

export function startLocalEvents(options: { stateDir: string; intervalMs?: number }): LocalEvents {
  process.env.WEBHOOK_SECRET_FILE ??= path.join(options.stateDir, 'webhook-secret');
  const webhookUrl = optionalEnv('WEBHOOK_URL');
  const bus = inProcessBus();
  const intervalMs = options.intervalMs ?? localEventsIntervalMs();
  let running: Promise<void> | undefined;
  const tick = async () => {
    await relayEvents({ publisher: bus, webhooks: Boolean(webhookUrl) });
    if (webhookUrl) await deliverWebhooks({ url: webhookUrl, secret: await webhookSecret() });
  };
  const run = (): Promise<void> => {
    running ??= tick()
      .catch((error: unknown) => console.error('Local event relay failed:', (error as Error).message))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const ready = run();
  const timer = setInterval(() => {
    if (!running) void run();
  }, intervalMs);
  timer.unref();
  return {
    bus,
    webhookUrl,
    ready,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
