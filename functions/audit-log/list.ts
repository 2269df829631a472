import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { listAuditEvents } from '#shared/resources/audit-log/service';

export const handler = defineHandler(routes['audit-log/list'], ({ userId, query }) =>
  listAuditEvents(userId, query),
);
