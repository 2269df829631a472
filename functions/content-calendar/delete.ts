import { defineHandler } from '#functions/define-handler';
import { collectionRoutes } from '#functions/route-table/collections';
import { deleteCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(collectionRoutes['content-calendar/delete'], ({ userId, params }) =>
  deleteCalendarEntry(userId, params.id),
);
