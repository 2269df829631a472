import { auditRoutes } from '#functions/route-table/audit';
import { defineHandler } from '#shared/http/handler';
import { listAuditEvents } from '#shared/resources/audit-log/service';

export const handler = defineHandler(auditRoutes['audit-log/list'], ({ userId, query }) =>
  listAuditEvents(userId, query),
);
