import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { createCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(collectionRoutes['content-calendar/create'], ({ userId, body }) =>
  createCalendarEntry(userId, body),
);
