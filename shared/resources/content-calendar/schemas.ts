import * as z from 'zod';
import { pageQuery } from '#shared/http/schemas';
import { entityId, isoDateTime, NON_EMPTY, nonEmpty, onFirstUse, text, timestamp } from '../fields.ts';

export const CHANNELS = ['linkedin', 'twitter', 'facebook', 'instagram', 'blog', 'email', 'other'] as const;
export const CALENDAR_STATUSES = ['scheduled', 'published', 'cancelled'] as const;
export const channel = z.enum(CHANNELS);
export const calendarStatus = z.enum(CALENDAR_STATUSES);

const fields = onFirstUse(() =>
  z.strictObject({
    contentId: entityId().describe("One of the caller's content items; anything else → 422."),
    channel,
    scheduledFor: isoDateTime(),
    status: calendarStatus.describe('Defaults to "scheduled".'),
    notes: text().max(5000).nullable(),
  }),
);

export const calendarEntryCreate = onFirstUse(() =>
  fields()
    .partial()
    .required({ contentId: true, channel: true, scheduledFor: true })
    .meta({ id: 'CalendarEntryCreate' }),
);
export const calendarEntryPatch = onFirstUse(() =>
  fields().partial().refine(nonEmpty, NON_EMPTY).meta({ id: 'CalendarEntryPatch', minProperties: 1 }),
);

export const calendarEntry = onFirstUse(() =>
  z
    .object({
      id: entityId(),
      contentId: entityId(),
      channel,
      scheduledFor: timestamp(),
      status: calendarStatus,
      notes: z.string().nullable(),
      createdAt: timestamp(),
      updatedAt: timestamp(),
    })
    .meta({ id: 'CalendarEntry' }),
);

export const calendarListQuery = onFirstUse(() =>
  z
    .strictObject({
      ...pageQuery(),
      from: isoDateTime().optional().describe('Entries scheduled at or after this instant.'),
      to: isoDateTime().optional().describe('Entries scheduled at or before this instant.'),
    })
    .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), {
      message: 'Must not be before `from`',
      path: ['to'],
    }),
);

export type CalendarEntryCreate = z.output<ReturnType<typeof calendarEntryCreate>>;
export type CalendarEntryPatch = z.output<ReturnType<typeof calendarEntryPatch>>;
export type CalendarEntry = z.output<ReturnType<typeof calendarEntry>>;
export type CalendarListQuery = z.output<ReturnType<typeof calendarListQuery>>;
