import { defineHandler } from '#functions/define-handler';
import { calendarRoutes } from '#functions/route-table/content-calendar';
import { deleteCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(calendarRoutes['content-calendar/delete'], ({ userId, params }) =>
  deleteCalendarEntry(userId, params.id),
);
