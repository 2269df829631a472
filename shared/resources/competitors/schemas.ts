import * as z from 'zod';
import { pageQuery } from '#shared/http/schemas';
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
    name: label(200).describe(
      'Unique per user, case-insensitive; stored in NFC without invisible or format characters, so names that look alike are the same name.',
    ),
    website: webUrl().nullable(),
    description: text().max(5000).nullable(),
    strengths: stringList(100, 1000),
    weaknesses: stringList(100, 1000),
    notes: text().max(10000).nullable(),
  }),
);

/** POST /competitors: `name` is required; the rest default to null / []. */
export const competitorCreate = onFirstUse(() =>
  fields().partial().required({ name: true }).meta({ id: 'CompetitorCreate' }),
);
/** PATCH /competitors/{id}: any non-empty subset. */
export const competitorPatch = onFirstUse(() =>
  fields().partial().refine(nonEmpty, NON_EMPTY).meta({ id: 'CompetitorPatch', minProperties: 1 }),
);

export const competitor = onFirstUse(() =>
  z
    .object({
      id: entityId(),
      name: z.string(),
      website: z.string().nullable(),
      description: z.string().nullable(),
      strengths: z.array(z.string()),
      weaknesses: z.array(z.string()),
      notes: z.string().nullable(),
      createdAt: timestamp(),
      updatedAt: timestamp(),
    })
    .meta({ id: 'Competitor' }),
);

export const competitorListQuery = onFirstUse(() => z.strictObject(pageQuery()));

export type CompetitorCreate = z.output<ReturnType<typeof competitorCreate>>;
export type CompetitorPatch = z.output<ReturnType<typeof competitorPatch>>;
export type Competitor = z.output<ReturnType<typeof competitor>>;
