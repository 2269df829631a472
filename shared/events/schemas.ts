import * as z from 'zod/mini';
import { pageQuery } from '#shared/http/schemas';
import { describe, meta } from '#shared/schema-meta';
import { EVENT_TYPES } from './types.ts';

export const lifecycleEvent = meta(
  z.object({
    id: describe(
      z.guid(),
      'Unique per event; the idempotency key of the bus and the webhook (`webhook-id`).',
    ),
    type: z.enum(EVENT_TYPES),
    occurredAt: z.iso.datetime(),
    subject: z.object({
      type: describe(z.string(), '`cloud_connection` or `brand_voice_asset`'),
      id: z.string(),
    }),
    data: describe(
      z.record(z.string(), z.unknown()),
      'Ids, codes and states; never tokens or provider text.',
    ),
  }),
  { id: 'Event' },
);

export const eventsQuery = z.strictObject({
  ...pageQuery(),
  type: z.optional(z.enum(EVENT_TYPES)),
});

export const eventsPage = meta(
  z.object({
    items: z.array(lifecycleEvent),
    nextCursor: describe(z.string(), 'Always present: poll again from here.'),
  }),
  { id: 'EventsPage' },
);

export type EventsQuery = z.output<typeof eventsQuery>;
export type EventsPage = z.output<typeof eventsPage>;
