import {
  BadRequest,
  Conflict,
  HttpProblem,
  ServiceUnavailable,
  UnprocessableReference,
} from '#shared/errors';
import { logger } from '#shared/logger';

interface PgError {
  code?: string;
  constraint?: string;
  message?: string;
}

/** SQLSTATE classes and client error codes that mean "the database is unreachable or overloaded right now". */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-3]|40001|40P01|55P03|57014|25P03)/;
const UNAVAILABLE_NODE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const UNAVAILABLE_MESSAGE =
  /(timeout|Connection terminated|connection is not open|Client has encountered a connection error|Client was closed)/i;

/** 22021 character_not_in_repertoire, 22P05 untranslatable_character, 22001 string_data_right_truncation. */
const TEXT_REFUSED = new Set(['22021', '22P05', '22001']);

export function isDbUnavailable(error: unknown): boolean {
  const e = error as PgError | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e.code && (UNAVAILABLE_NODE.has(e.code) || UNAVAILABLE_SQLSTATE.test(e.code))) return true;
  return (
    typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message) && !e.code?.match(/^[0-9A-Z]{5}$/)
  );
}

/**
 * Maps a database error to a typed HTTP problem. Constraint names decide the wording, so nothing from the
 * database (SQL, values) reaches the client. Unknown errors are rethrown and end up as a generic 500.
 */
export function mapDbError(error: unknown, constraints: Record<string, HttpProblem> = {}): never {
  if (error instanceof HttpProblem) throw error;
  const e = error as PgError;
  if (e?.constraint && constraints[e.constraint]) throw constraints[e.constraint];
  if (isDbUnavailable(error)) {
    logger.warn('Database unavailable', { code: e?.code, message: e?.message });
    throw new ServiceUnavailable('The database is temporarily unavailable.', 1);
  }
  if (e?.code === '23503')
    throw new UnprocessableReference([{ path: e.constraint ?? 'reference', message: 'Unknown reference' }]);
  if (e?.code === '23505') throw new Conflict('The resource already exists.');
  // A value the column cannot hold (NUL or an unencodable character, or too long): the input's fault. The
  // schemas are meant to catch these first; this keeps a gap in them a 400 instead of a 500.
  if (e?.code && TEXT_REFUSED.has(e.code))
    throw new BadRequest('The request contains a value that cannot be stored.', [
      { path: '', message: 'Contains a character or length the field cannot hold' },
    ]);
  throw error;
}
