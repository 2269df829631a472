import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { listCalendarEntries } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(collectionRoutes['content-calendar/list'], ({ userId, query }) =>
  listCalendarEntries(userId, query),
);
