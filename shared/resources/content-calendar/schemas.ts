import * as z from 'zod/mini';
import { pageQuery } from '#shared/http/schemas';
import { describe, meta } from '#shared/schema-meta';
import { entityId, isoDateTime, NON_EMPTY, nonEmpty, onFirstUse, text, timestamp } from '../fields.ts';

export const CHANNELS = ['linkedin', 'twitter', 'facebook', 'instagram', 'blog', 'email', 'other'] as const;
export const CALENDAR_STATUSES = ['scheduled', 'published', 'cancelled'] as const;
export const channel = z.enum(CHANNELS);
export const calendarStatus = z.enum(CALENDAR_STATUSES);

const fields = onFirstUse(() =>
  z.strictObject({
    contentId: describe(entityId(), "One of the caller's content items; anything else → 422."),
    channel,
    scheduledFor: isoDateTime(),
    status: describe(calendarStatus, 'Defaults to "scheduled".'),
    notes: z.nullable(text().check(z.maxLength(5000))),
  }),
);

export const calendarEntryCreate = onFirstUse(() =>
  meta(z.required(z.partial(fields()), { contentId: true, channel: true, scheduledFor: true }), {
    id: 'CalendarEntryCreate',
  }),
);
export const calendarEntryPatch = onFirstUse(() =>
  meta(z.partial(fields()).check(z.refine(nonEmpty, NON_EMPTY)), {
    id: 'CalendarEntryPatch',
    minProperties: 1,
  }),
);

export const calendarEntry = onFirstUse(() =>
  meta(
    z.object({
      id: entityId(),
      contentId: entityId(),
      channel,
      scheduledFor: timestamp(),
      status: calendarStatus,
      notes: z.nullable(z.string()),
      createdAt: timestamp(),
      updatedAt: timestamp(),
    }),
    { id: 'CalendarEntry' },
  ),
);

export const calendarListQuery = onFirstUse(() =>
  z
    .strictObject({
      ...pageQuery(),
      from: describe(z.optional(isoDateTime()), 'Entries scheduled at or after this instant.'),
      to: describe(z.optional(isoDateTime()), 'Entries scheduled at or before this instant.'),
    })
    .check(
      z.refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), {
        message: 'Must not be before `from`',
        path: ['to'],
      }),
    ),
);

export type CalendarEntryCreate = z.output<ReturnType<typeof calendarEntryCreate>>;
export type CalendarEntryPatch = z.output<ReturnType<typeof calendarEntryPatch>>;
export type CalendarEntry = z.output<ReturnType<typeof calendarEntry>>;
export type CalendarListQuery = z.output<ReturnType<typeof calendarListQuery>>;
