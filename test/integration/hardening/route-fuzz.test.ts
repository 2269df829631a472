import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { routeEntries } from '#functions/routes';
import { resetCognitoClient } from '#shared/auth/cognito';
import type { RouteDef } from '#shared/http/route';
import { resetVaultForTests } from '#shared/vault/token-vault';
import { insertUsers, useTestDatabase } from '../../support/db.ts';
import { type FakeCognito, startFakeCognito } from '../../support/fake-cognito.ts';
import { call, resourceFactories, superuserUrl } from '../resources/helpers.ts';

/**
 * SECURITY.md §6 / issue 15: every route of the route table that takes a body or a query string gets arbitrary
 * JSON — nested up to 20,000 levels, keys like __proto__/constructor/prototype, NUL, lone surrogates, format
 * characters, numbers beyond double range — and must answer without a 5xx; a 4xx writes nothing (every table
 * of the database unchanged, audit included); a 2xx stores exactly what was accepted (the write's answer and
 * a read afterwards carry the validated input). Generated from the route table: a new route is covered as soon
 * as it exists.
 */
const db = useTestDatabase();
let cognito: FakeCognito;
let admin: pg.Client;
let tables: string[] = [];
const user = randomUUID();
const targets: Record<string, string> = {};

beforeAll(async () => {
  cognito = await startFakeCognito();
  vi.stubEnv('COGNITO_ENDPOINT', cognito.endpoint);
  vi.stubEnv('COGNITO_CLIENT_ID', 'test-client');
  vi.stubEnv('COGNITO_USER_POOL_ID', 'us-east-1_fake');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('FRONTEND_URL', 'https://app.example.test');
  vi.stubEnv('OAUTH_REDIRECT_BASE_URL', 'https://api.example.test');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  vi.stubEnv('TOKEN_VAULT_KMS_KEY_ARN', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEYS', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', randomBytes(32).toString('base64'));
  resetVaultForTests();
  resetCognitoClient();
  await insertUsers(db().appUrl, user);
  for (const [, def] of fuzzed) {
    const resource = def.resource;
    if (resource && !targets[resource]) targets[resource] = await resourceFactories[resource]!.create(user);
  }
  knownIds.push(...Object.values(targets));
  admin = new pg.Client({ connectionString: superuserUrl(db().name) });
  await admin.connect();
  tables = (
    await admin.query<{ t: string }>(
      `select quote_ident(tablename) as t from pg_tables
        where schemaname = 'public' and tablename not in ('pgmigrations', 'rate_limit_counters') order by 1`,
    )
  ).rows.map((r) => r.t);
});
afterAll(async () => {
  await admin?.end();
  await cognito?.close();
  vi.unstubAllEnvs();
  resetVaultForTests();
  resetCognitoClient();
});

/**
 * Every row of every table (as the superuser: all tenants), as one fingerprint per table. Rate-limit counters
 * are left out: a refused request must count against the limit too, or refusals would be free to repeat.
 */
async function database(): Promise<Record<string, string>> {
  const sql = tables
    .map(
      (t) =>
        `select '${t}' as t, count(*)::text || ':' || md5(coalesce(string_agg(x::text, ',' order by x::text), '')) as f from ${t} x`,
    )
    .join(' union all ');
  const { rows } = await admin.query<{ t: string; f: string }>(sql);
  return Object.fromEntries(rows.map((r) => [r.t, r.f]));
}

// ---------------------------------------------------------------------------------------------- generators
// JSON is generated as text, so that what is sent is exactly what a client can send: own __proto__ keys, lone
// surrogates (escaped), numbers JSON.parse turns into Infinity or -0.

const SPECIAL_STRINGS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ud83d',
  '\u200b',
  'Acme\u200b',
  '\u2060\ufeff',
  '\u202eevil',
  '\u00ad',
  'e\u0301',
  '\u{e0041}',
  '1e400',
  '-0',
  'null',
  '../../etc/passwd',
  '2024-01-01T00:00:00Z',
  '00000000-0000-0000-0000-000000000000',
  'https://example.com/x',
  '#FFFFFF',
];
const str = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
);
const NUMBERS = [
  '1e400',
  '-1e400',
  '-0',
  '0',
  '1e308',
  '5e-324',
  '123456789012345678901234567890',
  '-9007199254740993',
  '0.1',
];
const num = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom(...NUMBERS),
);
const leaf = fc.oneof(
  str.map((s) => JSON.stringify(s)),
  num,
  fc.constantFrom('true', 'false', 'null'),
);
const object = (keys: fc.Arbitrary<string>, value: fc.Arbitrary<string>) =>
  fc
    .array(fc.tuple(keys, value), { maxLength: 5 })
    .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);

const { json } = fc.letrec<{ json: string }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('json'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    object(str, tie('json')),
  ),
}));

/** Nesting far past any limit, as objects, arrays or a mix, with a leaf at the bottom. */
const deep = fc
  .tuple(fc.constantFrom(100, 1_000, 5_000, 20_000), fc.constantFrom('{"a":', '[', '{"__proto__":'), leaf)
  .map(([levels, open, bottom]) => {
    const close = open === '[' ? ']' : '}';
    return `${open.repeat(levels)}${bottom}${close.repeat(levels)}`;
  });

/** Ids a reference field may point at: the user's own rows (so a plausible body can succeed). */
const knownIds: string[] = [];

interface ZodLike {
  _zod: {
    def: {
      type: string;
      innerType?: ZodLike;
      in?: ZodLike;
      element?: ZodLike;
      entries?: object;
      format?: string;
    };
    bag?: { format?: string };
  };
}

/**
 * A plausible value for a field, read off its zod schema: enum members, ids of the user's rows, ISO dates,
 * URLs, colours, JSON objects; strings salted with the special strings. Plausible bodies reach storage, so
 * the 2xx half of the property (what is stored is what was accepted) gets exercised, not just the 400s.
 */
function plausible(schema: ZodLike | undefined, name: string): fc.Arbitrary<string> {
  const def = schema?._zod.def;
  if (!def) return json;
  switch (def.type) {
    case 'optional':
    case 'nonoptional':
    case 'default':
      return plausible(def.innerType, name);
    case 'nullable':
      return fc.oneof(
        { weight: 1, arbitrary: fc.constant('null') },
        { weight: 3, arbitrary: plausible(def.innerType, name) },
      );
    case 'pipe':
      return plausible(def.in, name);
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries ?? {})).map((v) => JSON.stringify(v));
    case 'array':
      return fc.array(plausible(def.element, name), { maxLength: 3 }).map((items) => `[${items.join(',')}]`);
    case 'custom':
      return object(str, json);
    case 'string': {
      const format = def.format ?? schema?._zod.bag?.format;
      if (format === 'guid' || format === 'uuid')
        return fc.constantFrom(...knownIds).map((id) => JSON.stringify(id));
      if (format === 'datetime')
        return fc
          .date({
            min: new Date('1900-01-01T00:00:00Z'),
            max: new Date('9999-12-31T00:00:00Z'),
            noInvalidDate: true,
          })
          .map((d) => JSON.stringify(d.toISOString()));
      if (format === 'email') return fc.emailAddress().map((e) => JSON.stringify(e));
      if (/url|website/i.test(name))
        return fc.webUrl({ validSchemes: ['https'] }).map((u) => JSON.stringify(u));
      if (/colou?r/i.test(name)) return fc.constantFrom('"#A1B2C3"', '"#000000"');
      const salted = fc
        .tuple(
          fc.string({ unit: 'binary', maxLength: 12 }),
          fc.constantFrom(...SPECIAL_STRINGS),
          fc.string({ maxLength: 8 }),
        )
        .map(([a, special, b]) => JSON.stringify(`${a}${special}${b} ${randomUUID().slice(0, 6)}`));
      const plain = fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
        .map((t) => JSON.stringify(`${t} ${randomUUID().slice(0, 6)}`));
      return fc.oneof(plain, salted);
    }
    default:
      return json;
  }
}

/** The route's own top-level keys, from its schema (so most cases reach the field validators). */
function keysOf(schema: unknown): string[] {
  const shape = (schema as { shape?: Record<string, unknown>; def?: { shape?: object } })?.shape;
  return shape ? Object.keys(shape) : [];
}

function bodyFor(def: RouteDef): fc.Arbitrary<string> {
  const keys = keysOf(def.body);
  const known = keys.length ? fc.constantFrom(...keys) : str;
  const fieldValue = fc.oneof({ weight: 4, arbitrary: json }, { weight: 1, arbitrary: deep });
  const shape = ((def.body as unknown as { shape?: Record<string, ZodLike> }).shape ?? {}) as Record<
    string,
    ZodLike
  >;
  const plausibleBody = fc
    .tuple(...keys.map((k) => fc.option(plausible(shape[k], k), { nil: undefined, freq: 3 })))
    .map(
      (values) =>
        `{${keys.flatMap((k, i) => (values[i] === undefined ? [] : [`${JSON.stringify(k)}:${values[i]}`])).join(',')}}`,
    );
  return fc.oneof(
    { weight: 8, arbitrary: plausibleBody },
    {
      weight: 6,
      arbitrary: object(fc.oneof({ weight: 4, arbitrary: known }, { weight: 1, arbitrary: str }), fieldValue),
    },
    { weight: 1, arbitrary: json },
    { weight: 1, arbitrary: deep },
  );
}

function queryFor(def: RouteDef): fc.Arbitrary<Record<string, string>> {
  const keys = keysOf(def.query);
  const known = keys.length ? fc.constantFrom(...keys) : str;
  const value = fc.oneof(
    str,
    num,
    deep.map((d) => d.slice(0, 2000)),
  );
  return fc
    .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: known }, { weight: 1, arbitrary: str }), value), {
      maxLength: 4,
    })
    .map((entries) => {
      const query: Record<string, string> = {};
      for (const [k, v] of entries)
        Object.defineProperty(query, k, { value: v, enumerable: true, configurable: true, writable: true });
      return query;
    });
}

// ------------------------------------------------------------------------------------------------ checks

/** Canonical JSON (sorted keys) of a value of bounded depth. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const same = (expected: unknown, actual: unknown): boolean =>
  typeof expected === 'string' && typeof actual === 'string' && ISO.test(expected) && ISO.test(actual)
    ? Date.parse(expected) === Date.parse(actual)
    : canonical(expected) === canonical(actual);

/** The GET that reads back what a write stored: `/x/{id}` after `POST /x`, the same path after PUT/PATCH. */
function readRoute(def: RouteDef): [string, RouteDef] | undefined {
  const path = def.method === 'POST' ? `${def.path}/{id}` : def.path;
  return routeEntries().find(([, d]) => d.method === 'GET' && d.path === path) as
    | [string, RouteDef]
    | undefined;
}

const fuzzed = routeEntries().filter(([, def]) => def.body || def.query) as Array<[string, RouteDef]>;
const RUNS = 30;

describe.each(fuzzed)('%s', (key, def) => {
  it(`never answers 5xx to ${RUNS} generated inputs; 4xx writes nothing; 2xx stores what was accepted`, async () => {
    let before = await database();
    const params: Record<string, string> = {};
    if (def.path.includes('{provider}')) params.provider = 'dropbox';
    if (def.path.includes('{id}')) params.id = targets[def.resource!]!;
    const input = def.body
      ? bodyFor(def).map((raw) => ({ raw, query: undefined }))
      : queryFor(def).map((query) => ({ raw: undefined, query }));
    await fc.assert(
      fc.asyncProperty(input, async ({ raw, query }) => {
        const response = await call(key, {
          ...(def.auth === 'jwt' ? { userId: user } : {}),
          ...(Object.keys(params).length ? { params } : {}),
          ...(raw === undefined ? {} : { raw }),
          ...(query ? { query } : {}),
        });
        expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);
        if (response.status >= 400) {
          expect(response.headers['content-type']).toBe('application/problem+json');
          expect(await database()).toEqual(before);
          return;
        }
        if (raw !== undefined && def.method !== 'GET') {
          // What was accepted: the schema's output for what was sent (names normalised, emails lower-cased).
          const accepted = def.body!.parse(JSON.parse(raw)) as Record<string, unknown>;
          const sent = Object.keys(JSON.parse(raw) as object);
          const reads = [response.body];
          const read = readRoute(def);
          if (read) {
            const id: string | undefined = def.method === 'POST' ? response.body.id : params.id;
            const again = await call(read[0], { userId: user, params: { ...params, ...(id ? { id } : {}) } });
            expect(again.status).toBe(200);
            reads.push(again.body);
          }
          for (const body of reads) {
            for (const field of sent) {
              if (field in (body as object))
                expect(same(accepted[field], body[field]), `${field}: ${canonical(body[field])}`).toBe(true);
            }
          }
        }
        before = await database();
      }),
      { numRuns: RUNS },
    );
  });
});
