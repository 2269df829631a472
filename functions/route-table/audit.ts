import type { RouteDef } from '#shared/http/route';
import { page } from '#shared/http/schemas';
import { auditEvent, auditLogQuery } from '#shared/resources/audit-log/schemas';

export const auditRoutes = {
  'audit-log/list': {
    method: 'GET',
    path: '/audit-log',
    auth: 'jwt',
    summary: "The caller's audit events, newest first (read-only)",
    tag: 'audit',
    capabilities: ['db'],
    query: auditLogQuery,
    status: 200,
    response: page(auditEvent),
  },
} as const satisfies Record<string, RouteDef>;
