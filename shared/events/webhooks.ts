import { createHmac } from 'node:crypto';
import { fullJitterBackoffSeconds } from '#shared/backoff';
import { withRefresher } from '#shared/db/tenant';
import { logger } from '#shared/logger';
import { toLifecycleEvent } from './feed.ts';
import type { LifecycleEvent } from './types.ts';

/** Deliveries are retried for this long after the event was queued, then dead-lettered. */
export const WEBHOOK_RETRY_WINDOW_HOURS = 24;
/** Retry n waits up to min(1 h, 30 s · 2^(n-1)), full jitter. */
export const WEBHOOK_BACKOFF = { baseSeconds: 30, capSeconds: 60 * 60 } as const;

/** The body a webhook receives (and a dead letter holds): the Event plus its user; `timestamp` per the spec. */
export interface WebhookPayload extends LifecycleEvent {
  timestamp: string;
  userId: string;
}

export const webhookPayload = (event: LifecycleEvent, userId: string): WebhookPayload => ({
  ...event,
  timestamp: event.occurredAt,
  userId,
});

/**
 * Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with the
 * base64-decoded part of the `whsec_` secret. The same scheme the `standardwebhooks` library verifies.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export interface DeadLetter {
  eventId: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  payload: WebhookPayload;
}

export interface DeliverOptions {
  url: string;
  secret: string;
  /** Deliveries in flight at once (default 4); each owns one database connection while it runs. */
  concurrency?: number;
  /** Per attempt (default 5 s). */
  timeoutMs?: number;
  /** Time left in the invocation; no attempt starts with less than `reserveMs` (default 10 s) left. */
  remainingTimeMs?: () => number;
  reserveMs?: number;
  /** Where a delivery goes after the retry window (SQS dead-letter queue in AWS). Runs before the commit. */
  deadLetter?: (letter: DeadLetter) => Promise<void>;
  fetch?: typeof fetch;
  random?: () => number;
}

export interface DeliverySummary {
  attempts: number;
  delivered: number;
  retried: number;
  deadLettered: number;
  errors: number;
}

interface DueDelivery {
  event_id: string;
  user_id: string;
  attempts: number;
  expired: boolean;
  type: LifecycleEvent['type'];
  subject_type: string;
  subject_id: string;
  data: Record<string, unknown>;
  occurred_at: string;
  id: string;
}

type Attempt = { ok: true; status: number } | { ok: false; status: number | null; error: string };

async function post(options: DeliverOptions, delivery: DueDelivery, body: string): Promise<Attempt> {
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const res = await (options.fetch ?? fetch)(options.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'brand-cloud-webhooks/1',
        'webhook-id': delivery.event_id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(options.secret, delivery.event_id, timestamp, body),
      },
      body,
    });
    // The body is not read beyond what is needed to free the socket.
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    return { ok: false, status: res.status, error: 'http_status' };
  } catch (error) {
    const name = (error as Error).name;
    return { ok: false, status: null, error: name === 'TimeoutError' ? 'timeout' : 'network' };
  }
}

/** A claimed delivery is the claimer's for this long past its attempt's timeout (then it is due again). */
const LEASE_MARGIN_SECONDS = 30;

/**
 * Delivers the oldest due delivery that is the head of its subject's queue (nothing earlier of the same
 * connection still pending). Three steps, and no transaction stays open during the request:
 * 1. claim (one short transaction, SKIP LOCKED): the delivery stays pending, so later events of its subject keep
 *    waiting behind it, and is leased (next_attempt_at = now + timeout + margin), so no other deliverer takes it:
 *    exactly one deliverer works on a subject at a time and a subject's events reach the receiver in order;
 * 2. the POST;
 * 3. the outcome, the attempt log (and a dead letter before its commit) in a second transaction.
 * A transaction held through the request would hold a transaction id (the row lock) for as long as the receiver
 * takes, and the relay publishes only rows of transactions older than every running one: every newer event,
 * for the bus too, would wait for the slowest receiver. Receivers deduplicate on `webhook-id` (the event id): a
 * crash after the POST and before the outcome's commit sends it again when the lease ends.
 */
async function deliverOne(
  options: DeliverOptions,
  summary: DeliverySummary,
): Promise<'none' | 'delivered' | 'retry' | 'dead'> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const delivery = await withRefresher(async (tx) => {
    const { rows } = await tx.query<DueDelivery>(
      `with head as (
         select d.event_id
           from webhook_deliveries d
          where d.status = 'pending' and d.next_attempt_at <= now()
            and not exists (select 1 from webhook_deliveries p
                             where p.status = 'pending' and p.ordering_key = d.ordering_key and p.event_seq < d.event_seq)
          order by d.event_seq
          limit 1
          for update of d skip locked)
       update webhook_deliveries d set next_attempt_at = now() + make_interval(secs => $2)
         from head, events e
        where d.event_id = head.event_id and e.id = d.event_id
       returning d.event_id, d.user_id, d.attempts,
                 d.created_at <= now() - make_interval(hours => $1) as expired,
                 e.id, e.type, e.subject_type, e.subject_id, e.data, e.occurred_at`,
      [WEBHOOK_RETRY_WINDOW_HOURS, Math.ceil(timeoutMs / 1000) + LEASE_MARGIN_SECONDS],
    );
    return rows[0];
  });
  if (!delivery) return 'none';
  const payload = webhookPayload(toLifecycleEvent(delivery), delivery.user_id);
  const started = Date.now();
  const result = await post({ ...options, timeoutMs }, delivery, JSON.stringify(payload));
  const attempt = delivery.attempts + 1;
  summary.attempts += 1;
  return withRefresher(async (tx) => {
    await tx.query(
      `insert into webhook_delivery_attempts (event_id, attempt, status_code, error, duration_ms)
       values ($1, $2, $3, $4, $5)`,
      [delivery.event_id, attempt, result.status, result.ok ? null : result.error, Date.now() - started],
    );
    if (result.ok) {
      await tx.query(
        `update webhook_deliveries set status = 'delivered', attempts = $2, last_attempt_at = now(),
                last_status_code = $3, last_error = null, delivered_at = now()
          where event_id = $1`,
        [delivery.event_id, attempt, result.status],
      );
      summary.delivered += 1;
      return 'delivered';
    }
    if (delivery.expired) {
      await options.deadLetter?.({
        eventId: delivery.event_id,
        attempts: attempt,
        lastStatusCode: result.status,
        lastError: result.error,
        payload,
      });
      await tx.query(
        `update webhook_deliveries set status = 'dead', attempts = $2, last_attempt_at = now(),
                last_status_code = $3, last_error = $4, dead_at = now()
          where event_id = $1`,
        [delivery.event_id, attempt, result.status, result.error],
      );
      logger.error('Webhook delivery dead-lettered after the retry window', {
        eventId: delivery.event_id,
        attempts: attempt,
        statusCode: result.status,
        errorCode: result.error,
      });
      summary.deadLettered += 1;
      return 'dead';
    }
    const delay = fullJitterBackoffSeconds(attempt, WEBHOOK_BACKOFF, options.random);
    await tx.query(
      `update webhook_deliveries set attempts = $2, last_attempt_at = now(), last_status_code = $3,
              last_error = $4, next_attempt_at = now() + make_interval(secs => $5)
        where event_id = $1`,
      [delivery.event_id, attempt, result.status, result.error, delay],
    );
    summary.retried += 1;
    return 'retry';
  });
}

/**
 * One pass of the webhook deliverer: delivers every due delivery (each subject's in order) until none is due
 * or the time budget's reserve is reached. Failed attempts back off (capped exponential, full jitter) for
 * 24 hours after the event was queued; then the delivery is dead-lettered. Every attempt is logged in
 * `webhook_delivery_attempts`. Never logs payloads or the secret.
 */
export async function deliverWebhooks(options: DeliverOptions): Promise<DeliverySummary> {
  const summary: DeliverySummary = { attempts: 0, delivered: 0, retried: 0, deadLettered: 0, errors: 0 };
  const remaining = options.remainingTimeMs ?? (() => Number.POSITIVE_INFINITY);
  const reserveMs = options.reserveMs ?? 10_000;
  /** One delivery; false when none was due or the budget is spent (the worker stops). */
  const step = async (): Promise<boolean> => {
    if (remaining() < reserveMs) return false;
    try {
      return (await deliverOne(options, summary)) !== 'none';
    } catch (error) {
      // Database or dead-letter failure: no outcome was committed for that delivery; it is due again once its
      // lease (if it was claimed) ends.
      summary.errors += 1;
      logger.error('Webhook delivery failed', { error: (error as Error).message });
      return false;
    }
  };
  const worker = async () => {
    while (await step()) {
      // next delivery
    }
  };
  // An idle pass (the common case, several times a second) is one transaction: the workers start only once
  // a first delivery was due.
  if (await step()) await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  if (summary.attempts > 0 || summary.errors > 0) logger.info('Webhook deliveries', { summary });
  return summary;
}
