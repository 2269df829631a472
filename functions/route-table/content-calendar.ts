import type { RouteDef } from '#shared/http/route';
import {
  calendarEntry,
  calendarEntryCreate,
  calendarEntryPatch,
  calendarListQuery,
} from '#shared/resources/content-calendar/schemas';
import { collection } from './collection.ts';

/** /content-calendar: list, create, get, patch, delete (./collection.ts). */
export const calendarRoutes = collection('content-calendar', {
  path: '/content-calendar',
  tag: 'content',
  plural: 'content calendar',
  one: 'a calendar entry',
  resource: 'content_calendar_entry',
  item: calendarEntry,
  create: calendarEntryCreate,
  patch: calendarEntryPatch,
  listQuery: calendarListQuery,
}) satisfies Record<string, RouteDef>;
