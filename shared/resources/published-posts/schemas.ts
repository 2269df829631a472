import * as z from 'zod';
import { pageQuery } from '#shared/http/schemas';
import { channel } from '../content-calendar/schemas.ts';
import {
  entityId,
  isoDateTime,
  jsonObject,
  NON_EMPTY,
  nonEmpty,
  onFirstUse,
  timestamp,
  webUrl,
} from '../fields.ts';

export const MAX_METRICS_BYTES = 16 * 1024;

const fields = onFirstUse(() =>
  z.strictObject({
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
  }),
);

export const publishedPostCreate = onFirstUse(() =>
  fields().partial().required({ channel: true, publishedAt: true }).meta({ id: 'PublishedPostCreate' }),
);
export const publishedPostPatch = onFirstUse(() =>
  fields().partial().refine(nonEmpty, NON_EMPTY).meta({ id: 'PublishedPostPatch', minProperties: 1 }),
);

export const publishedPost = onFirstUse(() =>
  z
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
    .meta({ id: 'PublishedPost' }),
);

export const publishedPostListQuery = onFirstUse(() => z.strictObject(pageQuery()));

export type PublishedPostCreate = z.output<ReturnType<typeof publishedPostCreate>>;
export type PublishedPostPatch = z.output<ReturnType<typeof publishedPostPatch>>;
export type PublishedPost = z.output<ReturnType<typeof publishedPost>>;
