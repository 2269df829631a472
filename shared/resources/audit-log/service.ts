import { decodeCursor, type Page, type PageRequest } from '#shared/db/pagination';
import { withTenant } from '#shared/db/tenant';
import { auditLogTable } from './repository.ts';
import type { AuditEventItem } from './schemas.ts';

/** The caller's audit events, newest first. Read-only: the API offers no way to change the log. */
export function listAuditEvents(userId: string, query: PageRequest): Promise<Page<AuditEventItem>> {
  const after = decodeCursor(userId, query.cursor);
  return withTenant(userId, (tx) => auditLogTable.list(tx, userId, { limit: query.limit, after }));
}
