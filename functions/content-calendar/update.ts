import { collectionRoutes } from '#functions/route-table/collections';
import { defineHandler } from '#shared/http/handler';
import { updateCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(
  collectionRoutes['content-calendar/update'],
  ({ userId, params, body }) => updateCalendarEntry(userId, params.id, body),
);
