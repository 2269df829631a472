import * as z from 'zod';

/**
 * Field shapes shared by the resource schemas. Each one is at least as strict as the column it lands in, so a
 * body that passes validation can always be stored: a mismatch would surface as a 500 instead of a 400.
 */

const storable = (value: string): boolean => !value.includes('\u0000') && value.isWellFormed();
// A plain string, never a shared params object: zod normalises (mutates) the params objects it is given.
const STORABLE = 'Must be valid Unicode text without NUL characters';

/** Text PostgreSQL stores as sent: no NUL character (text columns refuse it), no lone surrogate. */
export const text = () => z.string().refine(storable, STORABLE);

/** A required, trimmed name or title. */
export const label = (max: number) => z.string().trim().min(1).max(max).refine(storable, STORABLE);

export const stringList = (maxItems: number, maxLength: number) =>
  z.array(text().min(1).max(maxLength)).max(maxItems);

function parsesAsUrl(value: string): boolean {
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
}

/** An absolute http(s) URL (a website). */
export const webUrl = () =>
  z
    .string()
    .max(2048)
    .regex(/^https?:\/\/\S+$/i, 'Must be an http or https URL')
    .refine(parsesAsUrl, 'Must be an http or https URL')
    .refine(storable, STORABLE);

/** An absolute https URL; the scheme is lower-case, as the logo_url column requires. */
export const httpsUrl = () =>
  z
    .string()
    .max(2048)
    .regex(/^https:\/\/\S+$/, 'Must be an https URL')
    .refine(parsesAsUrl, 'Must be an https URL')
    .refine(storable, STORABLE);

export const hexColor = () => z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'Must be a colour in the form #RRGGBB');

const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59);

/**
 * ISO 8601 date-time with `Z` or an offset. Limited to years 1900–9999 so that every accepted value is a valid
 * timestamptz and comes back as a plain ISO string.
 */
export const isoDateTime = () =>
  z.iso.datetime({ offset: true }).refine((value) => {
    const ms = Date.parse(value);
    return ms >= EARLIEST && ms <= LATEST;
  }, 'Must be between the years 1900 and 9999');

const MAX_JSON_DEPTH = 32;

function jsonProblem(value: unknown, depth: number): string | undefined {
  if (depth > MAX_JSON_DEPTH) return `Must be nested at most ${MAX_JSON_DEPTH} levels deep`;
  if (typeof value === 'string') return storable(value) ? undefined : STORABLE;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = jsonProblem(item, depth + 1);
      if (problem) return problem;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const problem = storable(key) ? jsonProblem(item, depth + 1) : STORABLE;
      if (problem) return problem;
    }
  }
  return undefined;
}

/** Any JSON value (named, so the OpenAPI document describes it once). */
const jsonValue = z.json().meta({ id: 'JsonValue' });

/** A JSON object of at most `maxBytes` serialised, storable as jsonb (which refuses \u0000 and lone surrogates). */
export const jsonObject = (maxBytes: number) =>
  z.record(z.string(), jsonValue).superRefine((value, ctx) => {
    const problem = jsonProblem(value, 0);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    else if (Buffer.byteLength(JSON.stringify(value), 'utf8') > maxBytes)
      ctx.addIssue({ code: 'custom', message: `Must be at most ${maxBytes} bytes as JSON` });
  });

/** PATCH bodies: partial, but not empty. */
export const nonEmpty = (value: object): boolean => Object.keys(value).length > 0;
export const NON_EMPTY = 'At least one field is required';

/**
 * An id as PostgreSQL's uuid type reads it: 8-4-4-4-12 hex digits, any version or variant. (zod's `uuid()`
 * also demands RFC 9562 version and variant bits, which would answer 400 to an id the database accepts.)
 */
export const entityId = () => z.guid();

/** `{id}` in a path. */
export const idPathParams = z.strictObject({ id: entityId() });

/** Timestamps in responses (ISO 8601 UTC). */
export const timestamp = () => z.iso.datetime();
