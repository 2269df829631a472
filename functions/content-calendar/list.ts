import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { listCalendarEntries } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(collectionRoutes['content-calendar/list'], ({ userId, query }) =>
  listCalendarEntries(userId, query),
);
