import { defineHandler } from '#functions/define-handler';
import { auditRoutes } from '#functions/route-table/audit';
import { listAuditEvents } from '#shared/resources/audit-log/service';

export const handler = defineHandler(auditRoutes['audit-log/list'], ({ userId, query }) =>
  listAuditEvents(userId, query),
);
