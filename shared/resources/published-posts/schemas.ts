import * as z from 'zod';
import { pageQuery } from '#shared/http/schemas';
import { channel } from '../content-calendar/schemas.ts';
import { entityId, isoDateTime, jsonObject, NON_EMPTY, nonEmpty, timestamp, webUrl } from '../fields.ts';

export const MAX_METRICS_BYTES = 16 * 1024;

const fields = z.strictObject({
  contentId: entityId()
    .nullable()
    .describe("One of the caller's content items, or null; anything else → 422."),
  calendarEntryId: entityId()
    .nullable()
    .describe("One of the caller's calendar entries, or null; anything else → 422."),
  channel,
  url: webUrl().nullable(),
  publishedAt: isoDateTime(),
  metrics: jsonObject(MAX_METRICS_BYTES).describe('Any JSON object, at most 16 KiB serialised.'),
});

export const publishedPostCreate = fields
  .partial()
  .required({ channel: true, publishedAt: true })
  .meta({ id: 'PublishedPostCreate' });
export const publishedPostPatch = fields
  .partial()
  .refine(nonEmpty, NON_EMPTY)
  .meta({ id: 'PublishedPostPatch', minProperties: 1 });

export const publishedPost = z
  .object({
    id: entityId(),
    contentId: entityId().nullable(),
    calendarEntryId: entityId().nullable(),
    channel,
    url: z.string().nullable(),
    publishedAt: timestamp(),
    metrics: z.record(z.string(), z.unknown()),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  })
  .meta({ id: 'PublishedPost' });

export const publishedPostListQuery = z.strictObject(pageQuery);

export type PublishedPostCreate = z.output<typeof publishedPostCreate>;
export type PublishedPostPatch = z.output<typeof publishedPostPatch>;
export type PublishedPost = z.output<typeof publishedPost>;
