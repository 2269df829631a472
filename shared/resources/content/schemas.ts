import * as z from 'zod';
import { pageQuery } from '#shared/http/schemas';
import { entityId, label, NON_EMPTY, nonEmpty, onFirstUse, stringList, text, timestamp } from '../fields.ts';

export const CONTENT_TYPES = ['blog_post', 'social_post', 'email', 'ad', 'video_script', 'other'] as const;
export const CONTENT_STATUSES = ['draft', 'in_review', 'approved', 'archived'] as const;
export const contentType = z.enum(CONTENT_TYPES);
export const contentStatus = z.enum(CONTENT_STATUSES);

const fields = onFirstUse(() =>
  z.strictObject({
    title: label(300),
    body: text().max(100_000).describe('Defaults to "".'),
    contentType,
    status: contentStatus.describe('Defaults to "draft".'),
    tags: stringList(100, 100),
  }),
);

export const contentCreate = onFirstUse(() =>
  fields().partial().required({ title: true, contentType: true }).meta({ id: 'ContentCreate' }),
);
export const contentPatch = onFirstUse(() =>
  fields().partial().refine(nonEmpty, NON_EMPTY).meta({ id: 'ContentPatch', minProperties: 1 }),
);

export const contentItem = onFirstUse(() =>
  z
    .object({
      id: entityId(),
      title: z.string(),
      body: z.string(),
      contentType,
      status: contentStatus,
      tags: z.array(z.string()),
      createdAt: timestamp(),
      updatedAt: timestamp(),
    })
    .meta({ id: 'Content' }),
);

export const contentListQuery = onFirstUse(() =>
  z.strictObject({
    ...pageQuery(),
    status: contentStatus.optional(),
    contentType: contentType.optional(),
  }),
);

export type ContentCreate = z.output<ReturnType<typeof contentCreate>>;
export type ContentPatch = z.output<ReturnType<typeof contentPatch>>;
export type ContentItem = z.output<ReturnType<typeof contentItem>>;
export type ContentListQuery = z.output<ReturnType<typeof contentListQuery>>;
