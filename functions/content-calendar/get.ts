import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { getCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(collectionRoutes['content-calendar/get'], ({ userId, params }) =>
  getCalendarEntry(userId, params.id),
);
