import * as z from 'zod';
import { pageQuery } from '#shared/http/schemas';
import { entityId, timestamp } from '../fields.ts';

export const auditEvent = z
  .object({
    id: entityId(),
    action: z.string().describe('Dotted and lower-case: `competitor.created`, `cloud_storage.connected`, …'),
    resourceType: z.string(),
    resourceId: z.string().nullable(),
    metadata: z
      .record(z.string(), z.unknown())
      .describe('Ids, codes and changed field names; never contents.'),
    createdAt: timestamp(),
  })
  .meta({ id: 'AuditEvent' });

export const auditLogQuery = z.strictObject(pageQuery());

export type AuditEventItem = z.output<typeof auditEvent>;
