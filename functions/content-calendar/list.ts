import { defineHandler } from '#functions/define-handler';
import { calendarRoutes } from '#functions/route-table/content-calendar';
import { listCalendarEntries } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(calendarRoutes['content-calendar/list'], ({ userId, query }) =>
  listCalendarEntries(userId, query),
);
