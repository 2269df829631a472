import { eventRoutes } from '#functions/route-table/events';
import { listEvents } from '#shared/events/feed';
import { defineHandler } from '#shared/http/handler';

export const handler = defineHandler(eventRoutes['events/list'], ({ userId, query }) =>
  listEvents(userId, query),
);
