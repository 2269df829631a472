import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { listCalendarEntries } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(routes['content-calendar/list'], ({ userId, query }) =>
  listCalendarEntries(userId, query),
);
