import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { createCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(collectionRoutes['content-calendar/create'], ({ userId, body }) =>
  createCalendarEntry(userId, body),
);
