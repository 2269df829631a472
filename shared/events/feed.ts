import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { opaqueCursor, readOpaqueCursor } from '#shared/db/pagination';
import type { Tx } from '#shared/db/tenant';
import { withTenant } from '#shared/db/tenant';
import type { EventsPage, EventsQuery } from './schemas.ts';
import type { EventType, LifecycleEvent } from './types.ts';

/**
 * The position after the last event served: the writing transaction and the row's order within it. Rows are
 * served only once every older transaction has finished (see the migration), so a position never has a
 * late-committing row behind it: polling from `nextCursor` sees every event exactly once, oldest first.
 */
interface FeedPosition {
  txid: string;
  seq: number;
}

const START: FeedPosition = { txid: '0', seq: 0 };

const envelopeSchema = z.strictObject({
  v: z.literal(1),
  x: z.string().check(z.regex(/^(0|[1-9]\d{0,19})$/)),
  s: z.number().check(z.int(), z.gte(0), z.lte(Number.MAX_SAFE_INTEGER)),
  u: z.string().check(z.regex(/^[A-Za-z0-9_-]{22}$/)),
});

/** Binds a cursor to its user: another user's cursor is refused (400), like every cursor of this API. */
const userTag = (userId: string): string =>
  createHash('sha256').update(`events-feed:${userId}`).digest().subarray(0, 16).toString('base64url');

export function encodeFeedCursor(userId: string, position: FeedPosition): string {
  return opaqueCursor({ v: 1, x: position.txid, s: position.seq, u: userTag(userId) });
}

/** The position a cursor names: exactly a cursor this API issued to this user, else 400 naming `cursor`. */
export function decodeFeedCursor(userId: string, cursor: string | undefined): FeedPosition {
  if (cursor === undefined) return START;
  // Re-encoding writes this user's tag: another user's cursor never encodes back to itself (as for list cursors).
  const envelope = readOpaqueCursor(cursor, envelopeSchema, (e) =>
    encodeFeedCursor(userId, { txid: e.x, seq: e.s }),
  );
  return { txid: envelope.x, seq: envelope.s };
}

interface EventRow {
  seq: number;
  txid: string;
  id: string;
  type: EventType;
  subject_type: string;
  subject_id: string;
  data: Record<string, unknown>;
  occurred_at: string;
}

export const toLifecycleEvent = (row: Omit<EventRow, 'seq' | 'txid'>): LifecycleEvent => ({
  id: row.id,
  type: row.type,
  occurredAt: row.occurred_at,
  subject: { type: row.subject_type, id: row.subject_id },
  data: row.data,
});

/** The tenant's events after a position, oldest first; only transactions older than every running one. */
export async function readFeed(
  tx: Tx,
  userId: string,
  after: FeedPosition,
  options: { limit: number; type?: EventType | undefined },
): Promise<{ events: LifecycleEvent[]; last: FeedPosition }> {
  const { rows } = await tx.query<EventRow>(
    `select seq, txid::text as txid, id, type, subject_type, subject_id, data, occurred_at
       from events
      where user_id = $1
        and (txid, seq) > ($2::xid8, $3::bigint)
        and txid < pg_snapshot_xmin(pg_current_snapshot())
        and ($4::text is null or type = $4)
      -- Qualified: a bare \`txid\` here would name the text output column above and sort '100' before '99'.
      order by events.txid, events.seq
      limit $5`,
    [userId, after.txid, after.seq, options.type ?? null, options.limit],
  );
  const lastRow = rows.at(-1);
  return {
    events: rows.map(toLifecycleEvent),
    last: lastRow ? { txid: lastRow.txid, seq: lastRow.seq } : after,
  };
}

/** `GET /events`: the caller's own events, oldest first after the cursor; `nextCursor` always returned. */
export async function listEvents(userId: string, query: EventsQuery): Promise<EventsPage> {
  const after = decodeFeedCursor(userId, query.cursor);
  const { events, last } = await withTenant(userId, (tx) =>
    readFeed(tx, userId, after, { limit: query.limit, type: query.type }),
  );
  return { items: events, nextCursor: encodeFeedCursor(userId, last) };
}
