import { defineHandler } from '#functions/define-handler';
import { calendarRoutes } from '#functions/route-table/content-calendar';
import { updateCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(calendarRoutes['content-calendar/update'], ({ userId, params, body }) =>
  updateCalendarEntry(userId, params.id, body),
);
