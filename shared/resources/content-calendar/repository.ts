import { defineCollection } from '#shared/db/collection';
import { UnprocessableReference } from '#shared/errors';
import type { CalendarEntry, CalendarEntryCreate } from './schemas.ts';

export const calendarTable = defineCollection<keyof CalendarEntryCreate, CalendarEntry>({
  table: 'content_calendar',
  resourceType: 'content_calendar_entry',
  mutable: true,
  columns: {
    contentId: { column: 'content_id', type: 'uuid' },
    channel: { column: 'channel', type: 'text' },
    scheduledFor: { column: 'scheduled_for', type: 'timestamptz' },
    status: { column: 'status', type: 'text' },
    notes: { column: 'notes', type: 'text' },
  },
  references: { contentId: 'content_library' },
  constraints: {
    // The composite key (user_id, content_id) is the guarantee that an entry never points at another tenant.
    content_calendar_content_fk: () =>
      new UnprocessableReference([{ path: 'contentId', message: 'Unknown reference' }]),
  },
});
