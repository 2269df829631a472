import type { Tx } from '#shared/db/tenant';
import { redact } from '#shared/logger';

export interface AuditEvent {
  /** Dotted: `competitor.created`, `cloud_storage.connected`, `cloud_storage.refresh_failed`, … */
  action: string;
  resourceType: string;
  resourceId?: string | null;
  /** Ids and codes only; passed through the log redaction so a token can never land here. */
  metadata?: Record<string, unknown>;
}

/**
 * Appends an audit event inside the caller's transaction (same commit as the mutation it records).
 * The tenant comes from the transaction's context, so an event can only be written for the current user.
 */
export async function recordAudit(tx: Tx, event: AuditEvent): Promise<void> {
  await tx.query(
    `insert into audit_log (user_id, action, resource_type, resource_id, metadata)
     values (nullif(current_setting('app.user_id', true), '')::uuid, $1, $2, $3, $4)`,
    [
      event.action,
      event.resourceType,
      event.resourceId ?? null,
      JSON.stringify(redact(event.metadata ?? {})),
    ],
  );
}
