import * as z from 'zod/mini';
import { pageQuery } from '#shared/http/schemas';
import { describe, meta } from '#shared/schema-meta';
import {
  entityId,
  label,
  NON_EMPTY,
  nonEmpty,
  onFirstUse,
  stringList,
  text,
  timestamp,
  webUrl,
} from '../fields.ts';

/** Every writable field of a competitor, as sent in a request. */
const fields = onFirstUse(() =>
  z.strictObject({
    name: describe(
      label(200),
      'Unique per user, case-insensitive; stored in NFC without invisible or format characters, so names that look alike are the same name.',
    ),
    website: z.nullable(webUrl()),
    description: z.nullable(text().check(z.maxLength(5000))),
    strengths: stringList(100, 1000),
    weaknesses: stringList(100, 1000),
    notes: z.nullable(text().check(z.maxLength(10000))),
  }),
);

/** POST /competitors: `name` is required; the rest default to null / []. */
export const competitorCreate = onFirstUse(() =>
  meta(z.required(z.partial(fields()), { name: true }), { id: 'CompetitorCreate' }),
);
/** PATCH /competitors/{id}: any non-empty subset. */
export const competitorPatch = onFirstUse(() =>
  meta(z.partial(fields()).check(z.refine(nonEmpty, NON_EMPTY)), { id: 'CompetitorPatch', minProperties: 1 }),
);

export const competitor = onFirstUse(() =>
  meta(
    z.object({
      id: entityId(),
      name: z.string(),
      website: z.nullable(z.string()),
      description: z.nullable(z.string()),
      strengths: z.array(z.string()),
      weaknesses: z.array(z.string()),
      notes: z.nullable(z.string()),
      createdAt: timestamp(),
      updatedAt: timestamp(),
    }),
    { id: 'Competitor' },
  ),
);

export const competitorListQuery = onFirstUse(() => z.strictObject(pageQuery()));

export type CompetitorCreate = z.output<ReturnType<typeof competitorCreate>>;
export type CompetitorPatch = z.output<ReturnType<typeof competitorPatch>>;
export type Competitor = z.output<ReturnType<typeof competitor>>;
