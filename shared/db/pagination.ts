import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { BadRequest } from '#shared/errors';

/**
 * Keyset pagination on `(created_at, id)`, newest first. The cursor is the position of the last item served,
 * as base64url JSON. It carries the timestamp at full (microsecond) precision: the API's `createdAt` is
 * rounded to milliseconds, and a rounded position would skip rows created within the same millisecond.
 *
 * A cursor is bound to the user it was issued to (another user's cursor → 400, like every cursor of this API).
 * A position in one's own list is all it can name and row-level security limits every read to the caller, so
 * a tag of the user id is enough here; cursors that carry a provider's continuation are signed with the server
 * key instead (shared/cloud-storage/files.ts).
 */
export interface Position {
  /** created_at in UTC with microseconds: `2025-01-31T12:00:00.123456Z`. */
  at: string;
  id: string;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const AT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})\d{3}Z$/;

/** Who a cursor was issued to: a digest of the user id (the cursor does not show the id itself). */
const userTag = (userId: string): string =>
  createHash('sha256').update(`list-cursor:${userId}`).digest().subarray(0, 12).toString('base64url');

const positionSchema = z.strictObject({
  at: z.string().check(
    z.regex(AT),
    z.refine((at) => {
      // zod runs every check, so this one also sees values the regex refused.
      const match = AT.exec(at);
      if (!match) return false;
      const ms = `${match[1]}Z`;
      const date = new Date(ms);
      return !Number.isNaN(date.getTime()) && date.toISOString() === ms;
    }),
  ),
  id: z.guid(),
  u: z.string().check(z.regex(/^[A-Za-z0-9_-]{16}$/)),
});

/** A cursor as this API writes them: JSON in base64url, opaque to clients. */
export const opaqueCursor = (json: unknown): string =>
  Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');

/**
 * What an opaque cursor holds, checked by `schema`, and only when `encode` of it gives back exactly the cursor
 * (no alternative spellings of one position); anything else → 400 naming `cursor`.
 */
export function readOpaqueCursor<T>(
  cursor: string,
  schema: z.ZodMiniType<T>,
  encode: (value: T) => string,
): T {
  const invalid = () =>
    new BadRequest('The cursor is invalid.', [{ path: 'cursor', message: 'Invalid cursor' }]);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success || encode(parsed.data) !== cursor) throw invalid();
  return parsed.data;
}

export function encodeCursor(userId: string, position: Position): string {
  return opaqueCursor({ at: position.at, id: position.id, u: userTag(userId) });
}

/**
 * The position a cursor names; a cursor that is not exactly one this API issued to this user → 400 naming
 * `cursor`.
 */
export function decodeCursor(userId: string, cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined;
  // Re-encoding writes this user's tag, so a cursor carrying anyone else's tag never encodes back to itself:
  // the round trip in readOpaqueCursor is the ownership check (no per-request schema, one hash).
  const { at, id } = readOpaqueCursor(cursor, positionSchema, (p) => encodeCursor(userId, p));
  return { at, id };
}

/** The SQL expression that renders a row's position timestamp (select it as `_cursorAt`). */
export const cursorAtSql = (alias: string): string =>
  `to_char(${alias}.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Rows fetched with `limit + 1` and a `_cursorAt` column → one page and the cursor to the next. */
export function toPage<T extends { id: string }>(
  rows: Array<T & { _cursorAt: string }>,
  limit: number,
  userId: string,
): Page<T> {
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(({ _cursorAt, ...item }) => item as unknown as T);
  const last = more ? rows[limit - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor(userId, { at: last._cursorAt, id: last.id }) : null };
}
