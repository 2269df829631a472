import * as z from 'zod/mini';
import { meta } from '#shared/schema-meta';
import { normaliseName, storable } from '#shared/text';

/**
 * Field shapes shared by the resource schemas. Each one is at least as strict as the column it lands in, so a
 * body that passes validation can always be stored: a mismatch would surface as a 500 instead of a 400.
 */

// A plain string, never a shared params object: zod normalises (mutates) the params objects it is given.
const STORABLE = 'Must be valid Unicode text without NUL characters';

/** Text PostgreSQL stores as sent: no NUL character (text columns refuse it), no lone surrogate. */
export const text = () => z.string().check(z.refine(storable, STORABLE));

/**
 * A required name or title: NFC, without invisible or format characters, trimmed (normaliseName), so that
 * names that look the same are the same name for every uniqueness check (finding 7 of the security review).
 */
export const label = (max: number) =>
  z.pipe(
    z.pipe(
      // The bounds apply after normalising; stated here for the OpenAPI document, which shows the input side.
      meta(z.string(), { minLength: 1, maxLength: max }).check(z.refine(storable, STORABLE)),
      z.transform(normaliseName),
    ),
    z.string().check(z.minLength(1, 'Must contain a visible character'), z.maxLength(max)),
  );

export const stringList = (maxItems: number, maxLength: number) =>
  z.array(text().check(z.minLength(1), z.maxLength(maxLength))).check(z.maxLength(maxItems));

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
    .check(
      z.maxLength(2048),
      z.regex(/^https?:\/\/\S+$/i, 'Must be an http or https URL'),
      z.refine(parsesAsUrl, 'Must be an http or https URL'),
      z.refine(storable, STORABLE),
    );

/** An absolute https URL; the scheme is lower-case, as the logo_url column requires. */
export const httpsUrl = () =>
  z
    .string()
    .check(
      z.maxLength(2048),
      z.regex(/^https:\/\/\S+$/, 'Must be an https URL'),
      z.refine(parsesAsUrl, 'Must be an https URL'),
      z.refine(storable, STORABLE),
    );

export const hexColor = () =>
  z.string().check(z.regex(/^#[0-9A-Fa-f]{6}$/, 'Must be a colour in the form #RRGGBB'));

const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59);

/**
 * ISO 8601 date-time with `Z` or an offset. Limited to years 1900–9999 so that every accepted value is a valid
 * timestamptz and comes back as a plain ISO string.
 */
export const isoDateTime = () =>
  z.iso.datetime({ offset: true }).check(
    z.refine((value) => {
      const ms = Date.parse(value);
      return ms >= EARLIEST && ms <= LATEST;
    }, 'Must be between the years 1900 and 9999'),
  );

/** How deep a free-form JSON field may nest (the field itself is level 0). */
export const MAX_JSON_DEPTH = 32;

export interface JsonIssue {
  /** Relative to the field: `['a', 0, 'b']`. */
  path: Array<string | number>;
  message: string;
}

/**
 * The first reason a free-form JSON value cannot be stored exactly as accepted, or undefined. Iterative (an
 * explicit stack, never recursion), so a body nested 100,000 levels deep costs a bounded walk and a 400, not a
 * RangeError: it stops at MAX_JSON_DEPTH before anything recursive (zod, JSON.stringify, jsonb) sees the value.
 * Refused because jsonb could not hold them exactly: NUL and lone surrogates in strings or keys, numbers JSON
 * cannot carry back (non-finite, or -0, which jsonb and JSON.stringify turn into 0), anything that is not JSON.
 * Keys are never filtered: `__proto__`, `constructor` and `prototype` are data like any other key.
 */
export function freeFormJsonIssue(root: unknown, maxDepth = MAX_JSON_DEPTH): JsonIssue | undefined {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (path.length > maxDepth) return { path, message: `Must be nested at most ${maxDepth} levels deep` };
    if (value === null || typeof value === 'boolean') continue;
    if (typeof value === 'string') {
      if (!storable(value)) return { path, message: STORABLE };
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return { path, message: 'Must be a finite number' };
      if (Object.is(value, -0)) return { path, message: 'Must not be negative zero' };
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
    } else if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (!storable(key)) return { path: [...path, key], message: STORABLE };
        stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
      }
    } else return { path, message: 'Must be JSON' };
  }
  return undefined;
}

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * A JSON object of at most `maxBytes` serialised, stored in jsonb exactly as accepted. Deliberately not
 * `z.record(z.string(), z.json())`: that recurses (a deep body overflowed the stack) and rebuilds the object by
 * assignment, which turns an own `__proto__` key into a prototype change and silently drops it. The value
 * passes through untouched instead, after the iterative check above.
 */
export const jsonObject = (maxBytes: number) =>
  meta(
    z.custom<Record<string, unknown>>(isJsonObject, 'Must be a JSON object').check(
      z.superRefine((value, ctx) => {
        const issue = freeFormJsonIssue(value);
        if (issue) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
        else if (Buffer.byteLength(JSON.stringify(value), 'utf8') > maxBytes)
          ctx.addIssue({ code: 'custom', message: `Must be at most ${maxBytes} bytes as JSON` });
      }),
    ),
    { type: 'object', additionalProperties: true },
  );

/**
 * A schema built on first use, then kept. A collection's schemas are thunks of this kind, so a route's cold start
 * builds none of them and its first request builds only the one it validates with (a list route its query, a
 * create route its body). With classic zod, which built its methods into every schema instance, building a whole
 * collection's schemas at import cost every one of its routes a few milliseconds of init (bench/REPORT.md,
 * section 2). The OpenAPI document builds them all.
 */
export function onFirstUse<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

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
