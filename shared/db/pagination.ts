import * as z from 'zod';
import { BadRequest } from '#shared/errors';

/**
 * Keyset pagination on `(created_at, id)`, newest first. The cursor is the position of the last item served,
 * as base64url JSON. It carries the timestamp at full (microsecond) precision: the API's `createdAt` is
 * rounded to milliseconds, and a rounded position would skip rows created within the same millisecond.
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

const positionSchema = z.strictObject({
  at: z
    .string()
    .regex(AT)
    .refine((at) => {
      // zod runs every check, so this one also sees values the regex refused.
      const match = AT.exec(at);
      if (!match) return false;
      const ms = `${match[1]}Z`;
      const date = new Date(ms);
      return !Number.isNaN(date.getTime()) && date.toISOString() === ms;
    }),
  id: z.guid(),
});

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify({ at: position.at, id: position.id }), 'utf8').toString('base64url');
}

/** The position a cursor names; a cursor that is not exactly one this API issued → 400 naming `cursor`. */
export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () =>
    new BadRequest('The cursor is invalid.', [{ path: 'cursor', message: 'Invalid cursor' }]);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const parsed = positionSchema.safeParse(json);
  if (!parsed.success || encodeCursor(parsed.data) !== cursor) throw invalid();
  return parsed.data;
}

/** The SQL expression that renders a row's position timestamp (select it as `_cursorAt`). */
export const cursorAtSql = (alias: string): string =>
  `to_char(${alias}.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Rows fetched with `limit + 1` and a `_cursorAt` column → one page and the cursor to the next. */
export function toPage<T extends { id: string }>(
  rows: Array<T & { _cursorAt: string }>,
  limit: number,
): Page<T> {
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(({ _cursorAt, ...item }) => item as unknown as T);
  const last = more ? rows[limit - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor({ at: last._cursorAt, id: last.id }) : null };
}
