import * as z from 'zod/mini';
import { pageQuery } from '#shared/http/schemas';
import { describe, meta } from '#shared/schema-meta';
import { entityId, label, NON_EMPTY, nonEmpty, onFirstUse, stringList, text, timestamp } from '../fields.ts';

export const CONTENT_TYPES = ['blog_post', 'social_post', 'email', 'ad', 'video_script', 'other'] as const;
export const CONTENT_STATUSES = ['draft', 'in_review', 'approved', 'archived'] as const;
export const contentType = z.enum(CONTENT_TYPES);
export const contentStatus = z.enum(CONTENT_STATUSES);

const fields = onFirstUse(() =>
  z.strictObject({
    title: label(300),
    body: describe(text().check(z.maxLength(100_000)), 'Defaults to "".'),
    contentType,
    status: describe(contentStatus, 'Defaults to "draft".'),
    tags: stringList(100, 100),
  }),
);

export const contentCreate = onFirstUse(() =>
  meta(z.required(z.partial(fields()), { title: true, contentType: true }), { id: 'ContentCreate' }),
);
export const contentPatch = onFirstUse(() =>
  meta(z.partial(fields()).check(z.refine(nonEmpty, NON_EMPTY)), { id: 'ContentPatch', minProperties: 1 }),
);

export const contentItem = onFirstUse(() =>
  meta(
    z.object({
      id: entityId(),
      title: z.string(),
      body: z.string(),
      contentType,
      status: contentStatus,
      tags: z.array(z.string()),
      createdAt: timestamp(),
      updatedAt: timestamp(),
    }),
    { id: 'Content' },
  ),
);

export const contentListQuery = onFirstUse(() =>
  z.strictObject({
    ...pageQuery(),
    status: z.optional(contentStatus),
    contentType: z.optional(contentType),
  }),
);

export type ContentCreate = z.output<ReturnType<typeof contentCreate>>;
export type ContentPatch = z.output<ReturnType<typeof contentPatch>>;
export type ContentItem = z.output<ReturnType<typeof contentItem>>;
export type ContentListQuery = z.output<ReturnType<typeof contentListQuery>>;
