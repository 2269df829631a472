import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { getCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(routes['content-calendar/get'], ({ userId, params }) =>
  getCalendarEntry(userId, params.id),
);
