import * as z from 'zod/mini';
import { pageQuery } from '#shared/http/schemas';
import { describe, meta } from '#shared/schema-meta';
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
    contentId: describe(
      z.nullable(entityId()),
      "One of the caller's content items, or null; anything else → 422.",
    ),
    calendarEntryId: describe(
      z.nullable(entityId()),
      "One of the caller's calendar entries, or null; anything else → 422.",
    ),
    channel,
    url: z.nullable(webUrl()),
    publishedAt: isoDateTime(),
    metrics: describe(jsonObject(MAX_METRICS_BYTES), 'Any JSON object, at most 16 KiB serialised.'),
  }),
);

export const publishedPostCreate = onFirstUse(() =>
  meta(z.required(z.partial(fields()), { channel: true, publishedAt: true }), { id: 'PublishedPostCreate' }),
);
export const publishedPostPatch = onFirstUse(() =>
  meta(z.partial(fields()).check(z.refine(nonEmpty, NON_EMPTY)), {
    id: 'PublishedPostPatch',
    minProperties: 1,
  }),
);

export const publishedPost = onFirstUse(() =>
  meta(
    z.object({
      id: entityId(),
      contentId: z.nullable(entityId()),
      calendarEntryId: z.nullable(entityId()),
      channel,
      url: z.nullable(z.string()),
      publishedAt: timestamp(),
      metrics: z.record(z.string(), z.unknown()),
      createdAt: timestamp(),
      updatedAt: timestamp(),
    }),
    { id: 'PublishedPost' },
  ),
);

export const publishedPostListQuery = onFirstUse(() => z.strictObject(pageQuery()));

export type PublishedPostCreate = z.output<ReturnType<typeof publishedPostCreate>>;
export type PublishedPostPatch = z.output<ReturnType<typeof publishedPostPatch>>;
export type PublishedPost = z.output<ReturnType<typeof publishedPost>>;
