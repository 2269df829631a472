import { defineHandler } from '#functions/define-handler';
import { calendarRoutes } from '#functions/route-table/content-calendar';
import { createCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(calendarRoutes['content-calendar/create'], ({ userId, body }) =>
  createCalendarEntry(userId, body),
);
