import { routes } from '#functions/routes';
import { defineHandler } from '#shared/http/handler';
import { deleteCalendarEntry } from '#shared/resources/content-calendar/service';

export const handler = defineHandler(routes['content-calendar/delete'], ({ userId, params }) =>
  deleteCalendarEntry(userId, params.id),
);
