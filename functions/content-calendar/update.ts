import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { updateCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(
  collectionRoutes['content-calendar/update'],
  ({ userId, params, body }) => updateCalendarEntry(userId, params.id, body),
);
