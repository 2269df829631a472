import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { createCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(routes['content-calendar/create'], ({ userId, body }) =>
  createCalendarEntry(userId, body),
);
