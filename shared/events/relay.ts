import { optionalEnv } from '#shared/config';
import { type Tx, withRefresher } from '#shared/db/tenant';
import { logger } from '#shared/logger';
import { toLifecycleEvent } from './feed.ts';
import type { LifecycleEvent } from './types.ts';

/** An event as it leaves the system: the feed's shape plus the user it belongs to (for the app's backend). */
export interface OutboundEvent extends LifecycleEvent {
  userId: string;
}

/**
 * Where the relay puts events: EventBridge in AWS, an in-process bus locally. `publish` receives at most one
 * event per subject per call (so a partial failure can never reorder a subject's events) and returns the ids
 * that were NOT accepted.
 */
export interface EventPublisher {
  /** Entries per call (EventBridge PutEvents takes 10). */
  readonly batchSize: number;
  publish(events: OutboundEvent[]): Promise<{ failedIds: string[] }>;
}

export interface RelayOptions {
  publisher: EventPublisher;
  /** Rows read per transaction (default 100). */
  limit?: number;
  /** Queue each published event for webhook delivery (default: when WEBHOOK_URL is set). */
  webhooks?: boolean;
}

export interface RelaySummary {
  /** Another relay held the lock: this one did nothing. */
  busy: boolean;
  published: number;
  failed: number;
  /** Held back behind an earlier event of the same subject that was not accepted. */
  heldBack: number;
  queuedWebhooks: number;
}

/** One relay at a time (the bus sees each subject's events in order); a transaction-level advisory lock. */
const RELAY_LOCK = 0x6576_656e_7473; // "events"

interface OutboxRow {
  seq: number;
  id: string;
  user_id: string;
  type: LifecycleEvent['type'];
  subject_type: string;
  subject_id: string;
  data: Record<string, unknown>;
  occurred_at: string;
}

const subjectKey = (e: { subject: { type: string; id: string } }) => `${e.subject.type}:${e.subject.id}`;

/**
 * Splits events (in order) into publish calls holding at most one event per subject each, preserving order:
 * event n+1 of a subject always goes in a later call than event n.
 */
export function orderedChunks<T extends { subject: { type: string; id: string } }>(
  events: T[],
  size: number,
): T[][] {
  const chunks: T[][] = [];
  const lastChunkOf = new Map<string, number>();
  for (const event of events) {
    const key = subjectKey(event);
    let index = Math.max((lastChunkOf.get(key) ?? -1) + 1, 0);
    while (index < chunks.length && chunks[index]!.length >= size) index += 1;
    if (index >= chunks.length) chunks.push([]);
    chunks[index]!.push(event);
    lastChunkOf.set(key, index);
  }
  return chunks;
}

async function relayBatch(tx: Tx, options: RelayOptions, summary: RelaySummary): Promise<number> {
  // Only transactions older than every running one: a row that commits late is never overtaken by a
  // younger row of the same subject (see migration 008).
  const { rows } = await tx.query<OutboxRow>(
    `select seq, id, user_id, type, subject_type, subject_id, data, occurred_at
       from events
      where published_at is null and txid < pg_snapshot_xmin(pg_current_snapshot())
      order by txid, seq
      limit $1`,
    [options.limit ?? 100],
  );
  if (rows.length === 0) return 0;
  const events: Array<OutboundEvent & { seq: number }> = rows.map((row) => ({
    ...toLifecycleEvent(row),
    userId: row.user_id,
    seq: row.seq,
  }));
  const blocked = new Set<string>();
  const published: number[] = [];
  for (const chunk of orderedChunks(events, options.publisher.batchSize)) {
    const ready = chunk.filter((e) => !blocked.has(subjectKey(e)));
    summary.heldBack += chunk.length - ready.length;
    if (ready.length === 0) continue;
    let failedIds: Set<string>;
    try {
      failedIds = new Set(
        (await options.publisher.publish(ready.map(({ seq: _seq, ...event }) => event))).failedIds,
      );
    } catch (error) {
      logger.warn('Publishing events failed', { error: (error as Error).message, count: ready.length });
      failedIds = new Set(ready.map((e) => e.id));
    }
    for (const event of ready) {
      if (failedIds.has(event.id)) {
        summary.failed += 1;
        blocked.add(subjectKey(event));
      } else {
        published.push(event.seq);
      }
    }
  }
  if (published.length > 0) {
    await tx.query('update events set published_at = now() where seq = any($1::bigint[])', [published]);
    if (options.webhooks ?? Boolean(optionalEnv('WEBHOOK_URL'))) {
      const { rowCount } = await tx.query(
        `insert into webhook_deliveries (event_id, event_seq, user_id, event_type, ordering_key)
         select id, seq, user_id, type, subject_type || ':' || subject_id
           from events where seq = any($1::bigint[])
         on conflict (event_id) do nothing`,
        [published],
      );
      summary.queuedWebhooks += rowCount ?? 0;
    }
  }
  summary.published += published.length;
  return rows.length;
}

/**
 * One relay pass: publishes unpublished outbox rows oldest first, in order per subject, at least once (a crash
 * between publishing and COMMIT publishes them again; consumers deduplicate on the event id), marks them
 * published and queues webhook deliveries in the same transaction. Runs until the outbox is drained or a
 * publish fails. Safe to run concurrently: a second relay finds the lock taken and returns at once.
 */
export async function relayEvents(options: RelayOptions): Promise<RelaySummary> {
  const summary: RelaySummary = { busy: false, published: 0, failed: 0, heldBack: 0, queuedWebhooks: 0 };
  const limit = options.limit ?? 100;
  for (;;) {
    const read = await withRefresher(async (tx) => {
      const { rows } = await tx.query<{ ok: boolean }>('select pg_try_advisory_xact_lock($1) as ok', [
        RELAY_LOCK,
      ]);
      if (!rows[0]?.ok) {
        summary.busy = true;
        return 0;
      }
      return relayBatch(tx, { ...options, limit }, summary);
    });
    // Drained, or a publish failed: the next pass retries from the oldest unpublished event.
    if (read < limit || summary.failed > 0) break;
  }
  if (summary.published > 0 || summary.failed > 0) logger.info('Event relay', { summary });
  return summary;
}
