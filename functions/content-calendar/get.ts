import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { getCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(collectionRoutes['content-calendar/get'], ({ userId, params }) =>
  getCalendarEntry(userId, params.id),
);
