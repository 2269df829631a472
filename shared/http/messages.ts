import type { z } from 'zod/mini';

/**
 * Plain, per-field validation messages ("name is required", "must be at most 200 characters") in place of
 * zod's default wording. Passed as the parse-level error map, so a message a schema sets itself still wins.
 */
type Issue = z.core.$ZodRawIssue;

const plural = (n: number | bigint, one: string, many = `${one}s`) => `${n} ${Number(n) === 1 ? one : many}`;

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  date: 'a date',
  null: 'null',
};

const FORMAT_WORDS: Record<string, string> = {
  email: 'a valid email address',
  url: 'a valid URL',
  uuid: 'a UUID',
  guid: 'a UUID',
  datetime: 'an ISO 8601 date-time (e.g. 2026-01-31T09:00:00Z)',
  date: 'an ISO 8601 date (YYYY-MM-DD)',
  time: 'an ISO 8601 time',
  duration: 'an ISO 8601 duration',
  base64: 'base64 text',
  base64url: 'base64url text',
};

function sizeWords(origin: string, bound: number | bigint, inclusive: boolean | undefined, most: boolean) {
  const edge = most ? 'at most' : 'at least';
  const limit = inclusive === false ? (most ? Number(bound) - 1 : Number(bound) + 1) : bound;
  switch (origin) {
    case 'string':
      return `must be ${edge} ${plural(limit, 'character')}`;
    case 'array':
    case 'set':
      return `must have ${edge} ${plural(limit, 'item')}`;
    case 'object':
      return `must have ${edge} ${plural(limit, 'field')}`;
    case 'file':
      return `must be ${edge} ${plural(limit, 'byte')}`;
    default:
      if (inclusive === false) return `must be ${most ? 'less' : 'more'} than ${bound}`;
      return `must be ${edge} ${bound}`;
  }
}

/** The parse-level error map: `schema.safeParse(value, { error: plainMessage })`. */
export function plainMessage(issue: Issue): string | undefined {
  const field = issue.path?.length ? String(issue.path.at(-1)) : 'a value';
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `${field} is required`;
      return `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    case 'too_big':
      return sizeWords(issue.origin, issue.maximum as number, issue.inclusive, true);
    case 'too_small':
      if (issue.origin === 'string' && issue.minimum === 1 && issue.input === '') return 'must not be empty';
      return sizeWords(issue.origin, issue.minimum as number, issue.inclusive, false);
    case 'invalid_format':
      if (issue.format === 'regex') return 'has the wrong format';
      if (issue.format === 'starts_with') return `must start with "${issue.prefix}"`;
      if (issue.format === 'ends_with') return `must end with "${issue.suffix}"`;
      if (issue.format === 'includes') return `must include "${issue.includes}"`;
      return `must be ${FORMAT_WORDS[issue.format] ?? `a valid ${issue.format}`}`;
    case 'invalid_value':
      if (issue.values.length === 1) return `must be ${JSON.stringify(issue.values[0])}`;
      return `must be one of: ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_union':
      return 'does not match any allowed shape';
    case 'invalid_key':
      return 'has an invalid key';
    case 'invalid_element':
      return 'has an invalid value';
    default:
      return undefined;
  }
}
