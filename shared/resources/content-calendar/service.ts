import type { Condition } from '#shared/db/collection';
import type { Page } from '#shared/db/pagination';
import { collectionService } from '../collection-service.ts';
import { calendarTable } from './repository.ts';
import type { CalendarEntry, CalendarEntryCreate, CalendarEntryPatch, CalendarListQuery } from './schemas.ts';

const calendar = collectionService(calendarTable, 'Calendar entry');

/** `from` and `to` bound `scheduledFor`, both inclusive. */
export function listCalendarEntries(userId: string, query: CalendarListQuery): Promise<Page<CalendarEntry>> {
  const where: Condition[] = [];
  if (query.from) where.push({ column: 'scheduled_for', type: 'timestamptz', op: '>=', value: query.from });
  if (query.to) where.push({ column: 'scheduled_for', type: 'timestamptz', op: '<=', value: query.to });
  return calendar.list(userId, query, where);
}

export const createCalendarEntry = (userId: string, input: CalendarEntryCreate): Promise<CalendarEntry> =>
  calendar.create(userId, input);
export const getCalendarEntry = (userId: string, id: string): Promise<CalendarEntry> =>
  calendar.get(userId, id);
export const updateCalendarEntry = (
  userId: string,
  id: string,
  patch: CalendarEntryPatch,
): Promise<CalendarEntry> => calendar.update(userId, id, patch);
export const deleteCalendarEntry = (userId: string, id: string): Promise<void> => calendar.remove(userId, id);
