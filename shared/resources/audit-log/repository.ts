import { defineCollection } from '#shared/db/collection';
import type { AuditEventItem } from './schemas.ts';

/** Read side of audit_log (events are written by each mutation's own statement, or by recordAudit). */
export const auditLogTable = defineCollection<
  'action' | 'resourceType' | 'resourceId' | 'metadata',
  AuditEventItem
>({
  table: 'audit_log',
  resourceType: 'audit_event',
  mutable: false,
  columns: {
    action: { column: 'action', type: 'text' },
    resourceType: { column: 'resource_type', type: 'text' },
    resourceId: { column: 'resource_id', type: 'text' },
    metadata: { column: 'metadata', type: 'jsonb' },
  },
});
