import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { updateCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(routes['content-calendar/update'], ({ userId, params, body }) =>
  updateCalendarEntry(userId, params.id, body),
);
