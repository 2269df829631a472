import * as z from 'zod/mini';
import { pageQuery } from '#shared/http/schemas';
import { describe, meta } from '#shared/schema-meta';
import { entityId, timestamp } from '../fields.ts';

export const auditEvent = meta(
  z.object({
    id: entityId(),
    action: describe(z.string(), 'Dotted and lower-case: `competitor.created`, `cloud_storage.connected`, …'),
    resourceType: z.string(),
    resourceId: z.nullable(z.string()),
    metadata: describe(
      z.record(z.string(), z.unknown()),
      'Ids, codes and changed field names; never contents.',
    ),
    createdAt: timestamp(),
  }),
  { id: 'AuditEvent' },
);

export const auditLogQuery = z.strictObject(pageQuery());

export type AuditEventItem = z.output<typeof auditEvent>;
