import type { Tx } from '#shared/db/tenant';
import { redact } from '#shared/logger';
import type { EventSubject, EventType } from './types.ts';

export type { EventSubject, EventType } from './types.ts';

export interface EventInput {
  type: EventType;
  subject: EventSubject;
  /** Ids, codes and states only: never tokens, never provider text (passed through the log redaction too). */
  data?: Record<string, unknown>;
}

/**
 * Writes a lifecycle event into the outbox inside the caller's transaction: it commits with the state change
 * that produced it and vanishes with it on rollback. The user is the transaction's tenant (`withTenant`, or
 * `app.user_id` set by a cross-tenant job before the write), so an event can only be written for that user.
 * The relay publishes it to the event bus and the webhook; `GET /events` serves it to its user.
 * Returns the event id (the consumers' idempotency key).
 */
export async function recordEvent(tx: Tx, event: EventInput): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `insert into events (user_id, type, subject_type, subject_id, data)
     values (nullif(current_setting('app.user_id', true), '')::uuid, $1, $2, $3, $4)
     returning id`,
    [event.type, event.subject.type, event.subject.id, JSON.stringify(redact(event.data ?? {}))],
  );
  return rows[0]!.id;
}
