import { defineHandler } from '#functions/define-handler';
import { eventRoutes } from '#functions/route-table/events';
import { listEvents } from '#shared/events/feed';

export const handler = defineHandler(eventRoutes['events/list'], ({ userId, query }) =>
  listEvents(userId, query),
);
