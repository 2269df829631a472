import * as z from 'zod';
import { pageQuery } from '#shared/http/schemas';
import { EVENT_TYPES } from './types.ts';

export const lifecycleEvent = z
  .object({
    id: z.guid().describe('Unique per event; the idempotency key of the bus and the webhook (`webhook-id`).'),
    type: z.enum(EVENT_TYPES),
    occurredAt: z.iso.datetime(),
    subject: z.object({
      type: z.string().describe('`cloud_connection` or `brand_voice_asset`'),
      id: z.string(),
    }),
    data: z.record(z.string(), z.unknown()).describe('Ids, codes and states; never tokens or provider text.'),
  })
  .meta({ id: 'Event' });

export const eventsQuery = z.strictObject({
  ...pageQuery(),
  type: z.enum(EVENT_TYPES).optional(),
});

export const eventsPage = z
  .object({
    items: z.array(lifecycleEvent),
    nextCursor: z.string().describe('Always present: poll again from here.'),
  })
  .meta({ id: 'EventsPage' });

export type EventsQuery = z.output<typeof eventsQuery>;
export type EventsPage = z.output<typeof eventsPage>;
