import { defineHandler } from '#functions/define-handler';
import { calendarRoutes } from '#functions/route-table/content-calendar';
import { getCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(calendarRoutes['content-calendar/get'], ({ userId, params }) =>
  getCalendarEntry(userId, params.id),
);
