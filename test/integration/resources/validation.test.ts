import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#functions/routes';
import type { RouteDef } from '#shared/http/route';
import { BRAND_VOICE_CATEGORIES } from '#shared/resources/brand-voice-assets/schemas';
import { CONTENT_STATUSES, CONTENT_TYPES } from '#shared/resources/content/schemas';
import { createContent } from '#shared/resources/content/service';
import { CALENDAR_STATUSES, CHANNELS } from '#shared/resources/content-calendar/schemas';
import { createCalendarEntry } from '#shared/resources/content-calendar/service';
import { normaliseName } from '#shared/text';
import { insertUsers, useTestDatabase } from '../../support/db.ts';
import { call, resourceFactories, superuserUrl } from './helpers.ts';

/**
 * Handler-level input validation of every body route of the tenant data API, with generated bodies: invalid
 * ones must be answered 400 problem+json naming each offending field and must write nothing; valid ones must
 * be stored and echoed as sent (which also proves every value the schemas accept fits its column).
 */
const db = useTestDatabase();
const user = randomUUID();
let contentId: string;
let calendarEntryId: string;
let admin: pg.Client;

type Kind =
  | { t: 'label'; max: number }
  | { t: 'text'; max: number; nullable?: boolean }
  | { t: 'bytes'; maxBytes: number }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'strings'; maxItems: number; maxLength: number }
  | { t: 'url'; nullable: boolean; https?: boolean }
  | { t: 'ref'; to: 'content' | 'calendar'; nullable: boolean }
  | { t: 'datetime' }
  | { t: 'json'; maxBytes: number }
  | { t: 'colors' };

interface BodyRoute {
  key: string;
  mode: 'create' | 'patch' | 'put';
  table: string;
  fields: Record<string, Kind>;
  required?: string[];
  /** For PATCH: the factory whose row is patched. */
  resource?: string;
}

const competitorFields: Record<string, Kind> = {
  name: { t: 'label', max: 200 },
  website: { t: 'url', nullable: true },
  description: { t: 'text', max: 5000, nullable: true },
  strengths: { t: 'strings', maxItems: 100, maxLength: 1000 },
  weaknesses: { t: 'strings', maxItems: 100, maxLength: 1000 },
  notes: { t: 'text', max: 10000, nullable: true },
};
// Pasted text only: file fields are set by uploads and imports, never by a body.
const voiceFields: Record<string, Kind> = {
  title: { t: 'label', max: 300 },
  category: { t: 'enum', values: BRAND_VOICE_CATEGORIES },
  content: { t: 'bytes', maxBytes: 5 * 1024 * 1024 },
};
// Only the title and the category can be PATCHed.
const voicePatchFields: Record<string, Kind> = {
  title: { t: 'label', max: 300 },
  category: { t: 'enum', values: BRAND_VOICE_CATEGORIES },
};
const contentFields: Record<string, Kind> = {
  title: { t: 'label', max: 300 },
  body: { t: 'text', max: 100_000 },
  contentType: { t: 'enum', values: CONTENT_TYPES },
  status: { t: 'enum', values: CONTENT_STATUSES },
  tags: { t: 'strings', maxItems: 100, maxLength: 100 },
};
const calendarFields: Record<string, Kind> = {
  contentId: { t: 'ref', to: 'content', nullable: false },
  channel: { t: 'enum', values: CHANNELS },
  scheduledFor: { t: 'datetime' },
  status: { t: 'enum', values: CALENDAR_STATUSES },
  notes: { t: 'text', max: 5000, nullable: true },
};
const postFields: Record<string, Kind> = {
  contentId: { t: 'ref', to: 'content', nullable: true },
  calendarEntryId: { t: 'ref', to: 'calendar', nullable: true },
  channel: { t: 'enum', values: CHANNELS },
  url: { t: 'url', nullable: true },
  publishedAt: { t: 'datetime' },
  metrics: { t: 'json', maxBytes: 16 * 1024 },
};
const assetFields: Record<string, Kind> = {
  brandColors: { t: 'colors' },
  brandFonts: { t: 'strings', maxItems: 100, maxLength: 200 },
  logoUrl: { t: 'url', nullable: true, https: true },
};
const strategyFields: Record<string, Kind> = {
  mission: { t: 'text', max: 5000 },
  vision: { t: 'text', max: 5000 },
  values: { t: 'strings', maxItems: 100, maxLength: 5000 },
  targetAudience: { t: 'text', max: 5000 },
  positioning: { t: 'text', max: 5000 },
  toneOfVoice: { t: 'text', max: 5000 },
  ...assetFields,
};

const BODY_ROUTES: BodyRoute[] = [
  {
    key: 'competitors/create',
    mode: 'create',
    table: 'competitors',
    fields: competitorFields,
    required: ['name'],
  },
  {
    key: 'competitors/update',
    mode: 'patch',
    table: 'competitors',
    fields: competitorFields,
    resource: 'competitor',
  },
  {
    key: 'brand-voice-assets/create',
    mode: 'create',
    table: 'brand_voice_assets',
    fields: voiceFields,
    required: ['title', 'category', 'content'],
  },
  {
    key: 'brand-voice-assets/update',
    mode: 'patch',
    table: 'brand_voice_assets',
    fields: voicePatchFields,
    resource: 'brand_voice_asset',
  },
  {
    key: 'content/create',
    mode: 'create',
    table: 'content_library',
    fields: contentFields,
    required: ['title', 'contentType'],
  },
  {
    key: 'content/update',
    mode: 'patch',
    table: 'content_library',
    fields: contentFields,
    resource: 'content',
  },
  {
    key: 'content-calendar/create',
    mode: 'create',
    table: 'content_calendar',
    fields: calendarFields,
    required: ['contentId', 'channel', 'scheduledFor'],
  },
  {
    key: 'content-calendar/update',
    mode: 'patch',
    table: 'content_calendar',
    fields: calendarFields,
    resource: 'content_calendar_entry',
  },
  {
    key: 'published-posts/create',
    mode: 'create',
    table: 'published_posts',
    fields: postFields,
    required: ['channel', 'publishedAt'],
  },
  {
    key: 'published-posts/update',
    mode: 'patch',
    table: 'published_posts',
    fields: postFields,
    resource: 'published_post',
  },
  { key: 'brand-strategy/put', mode: 'put', table: 'brand_strategy', fields: strategyFields },
  { key: 'brand-assets/put', mode: 'put', table: 'brand_strategy', fields: assetFields },
];

// ---------------------------------------------------------------------------------------------- generators

const storable = (s: string) => !s.includes('\u0000') && s.isWellFormed();
const anyText = (maxLength: number) => fc.string({ unit: 'binary', maxLength }).filter(storable);
const nonString = fc.oneof(
  fc.integer(),
  // JSON has no NaN or Infinity: they would be sent as null, which some fields accept.
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant({}),
  fc.array(fc.integer(), { maxLength: 2 }),
);
const withNul = anyText(10).map((s) => `${s}\u0000${s}`);
const loneSurrogate = fc.constantFrom('\ud800', 'a\udfffb', '\udbff');
const tooLong = (max: number) => fc.integer({ min: 1, max: 20 }).map((extra) => 'x'.repeat(max + extra));

function validValue(kind: Kind): fc.Arbitrary<unknown> {
  switch (kind.t) {
    case 'label':
      return anyText(Math.min(kind.max, 60))
        .filter((s) => s.trim().length > 0)
        .map((s) => `${s.trim().slice(0, kind.max - 10)} ${randomUUID().slice(0, 8)}`);
    case 'text': {
      const base = anyText(Math.min(kind.max, 200));
      return kind.nullable ? fc.oneof(base, fc.constant(null)) : base;
    }
    case 'bytes':
      return anyText(300);
    case 'enum':
      return fc.constantFrom(...kind.values);
    case 'strings':
      return fc.array(
        anyText(Math.min(kind.maxLength, 40)).filter((s) => s.length > 0),
        { maxLength: 5 },
      );
    case 'url': {
      const url = fc
        .webUrl({ validSchemes: kind.https ? ['https'] : ['http', 'https'], size: 'small' })
        .filter((u) => u.length <= 2048);
      return kind.nullable ? fc.oneof(url, fc.constant(null)) : url;
    }
    case 'ref': {
      const id = fc.constant(null).map(() => (kind.to === 'content' ? contentId : calendarEntryId));
      return kind.nullable ? fc.oneof(id, fc.constant(null)) : id;
    }
    case 'datetime':
      return fc
        .date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('9999-12-31T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString());
    case 'json':
      return fc
        .dictionary(anyText(12), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
        .filter((v) => storable(JSON.stringify(v)) && !JSON.stringify(v).includes('\\u0000'))
        .filter((v) => Buffer.byteLength(JSON.stringify(v)) <= kind.maxBytes);
    case 'colors':
      return fc.array(
        fc.tuple(fc.integer({ min: 0, max: 0xffffff }), fc.boolean()).map(([n, upper]) => {
          const hex = n.toString(16).padStart(6, '0');
          return `#${upper ? hex.toUpperCase() : hex}`;
        }),
        { maxLength: 5 },
      );
  }
}

function invalidValue(kind: Kind): fc.Arbitrary<unknown> {
  const common = [
    nonString.filter((v) => !Array.isArray(v) || kind.t !== 'strings'),
  ] as fc.Arbitrary<unknown>[];
  switch (kind.t) {
    case 'label':
      return fc.oneof(
        ...common,
        fc.constant(null),
        fc.constantFrom('', ' ', '\t\n  '),
        tooLong(kind.max),
        withNul,
        loneSurrogate,
      );
    case 'text':
      return fc.oneof(
        ...common,
        ...(kind.nullable ? [] : [fc.constant(null)]),
        tooLong(kind.max),
        withNul,
        loneSurrogate,
      );
    case 'bytes':
      return fc.oneof(...common, fc.constant(null), withNul, fc.constant('é'.repeat(kind.maxBytes / 2 + 1)));
    case 'enum':
      return fc.oneof(
        ...common,
        fc.constant(null),
        anyText(20).filter((s) => !kind.values.includes(s)),
        fc.constantFrom(...kind.values).map((v) => v.toUpperCase()),
      );
    case 'strings':
      return fc.oneof(
        fc.integer(),
        fc.constant(null),
        anyText(10),
        fc.constant({}),
        fc.array(nonString, { minLength: 1, maxLength: 3 }),
        fc.constant(['']),
        tooLong(kind.maxLength).map((s) => [s]),
        fc.constant(Array.from({ length: kind.maxItems + 1 }, () => 'x')),
        withNul.map((s) => [s]),
      );
    case 'url':
      return fc.oneof(
        ...common,
        ...(kind.nullable ? [] : [fc.constant(null)]),
        fc.constantFrom(
          'ftp://files.example/x',
          'javascript:alert(1)',
          'not a url',
          'http://',
          'https://',
          '//example.com/x',
          'example.com',
          ' https://example.com',
          'https://exa mple.com',
          'mailto:a@b.c',
        ),
        fc.constant(`https://example.com/${'a'.repeat(2048)}`),
        ...(kind.https
          ? [fc.constantFrom('http://example.com/logo.png', 'HTTPS://example.com/logo.png')]
          : []),
      );
    case 'ref':
      return fc.oneof(
        ...common,
        ...(kind.nullable ? [] : [fc.constant(null)]),
        anyText(40).filter((s) => !/^[0-9a-f-]{36}$/i.test(s)),
        fc.constantFrom('00000000-0000-0000-0000-00000000000g', '1234', `${randomUUID()}x`),
      );
    case 'datetime':
      return fc.oneof(
        ...common,
        fc.constant(null),
        fc.constantFrom(
          '2024-02-30T00:00:00Z',
          '2023-02-29T10:00:00Z',
          '2024-13-01T00:00:00Z',
          '2024-01-01',
          '2024-01-01T00:00:00',
          '2024-01-01 00:00:00Z',
          '0000-01-01T00:00:00Z',
          '1899-12-31T23:59:59Z',
          '2024-01-01T24:00:00Z',
          'yesterday',
          '',
        ),
        fc.integer(),
      );
    case 'json':
      return fc.oneof(
        fc.constant(null),
        fc.integer(),
        anyText(10),
        fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
        fc.constant({ note: 'nul \u0000 inside' }),
        fc.constant({ 'key\u0000': 1 }),
        fc.constant({ big: 'x'.repeat(16 * 1024) }),
        fc.constant({ lone: '\ud800' }),
        fc.constant(JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`)),
      );
    case 'colors':
      return fc.oneof(
        fc.constant(null),
        fc.constant('#FFFFFF'),
        fc.constantFrom(['red'], ['#12345'], ['#1234567'], ['#GGGGGG'], ['FFFFFF'], [0xffffff], [null]),
        fc.constant(Array.from({ length: 101 }, () => '#000000')),
      );
  }
}

const UNKNOWN_KEYS = [
  'userId',
  'user_id',
  'id',
  'createdAt',
  'updatedAt',
  'source',
  'version',
  'tenant',
  '__proto__',
];

interface Case {
  body: unknown;
  /** Every path that must appear (exactly, or as a prefix of a nested path) in `errors`. */
  paths: string[];
}

function validBody(route: BodyRoute): fc.Arbitrary<Record<string, unknown>> {
  const names = Object.keys(route.fields);
  const required = route.required ?? [];
  return fc.record(Object.fromEntries(names.map((n) => [n, validValue(route.fields[n]!)])), {
    requiredKeys: required,
  }) as fc.Arbitrary<Record<string, unknown>>;
}

function invalidCase(route: BodyRoute): fc.Arbitrary<Case> {
  const names = Object.keys(route.fields);
  const base = validBody(route).filter((b) => route.mode !== 'patch' || Object.keys(b).length > 0);
  const badFields = fc
    .tuple(base, fc.subarray(names, { minLength: 1, maxLength: Math.min(3, names.length) }))
    .chain(([body, fields]) =>
      fc.tuple(...fields.map((f) => invalidValue(route.fields[f]!))).map((values) => {
        const out = { ...body };
        fields.forEach((f, i) => {
          out[f] = values[i];
        });
        return { body: out, paths: fields };
      }),
    );
  const unknownKey = fc
    .tuple(
      base,
      fc.oneof(
        fc.constantFrom(...UNKNOWN_KEYS),
        anyText(12).filter((k) => !names.includes(k)),
      ),
    )
    .map(([body, key]) => {
      const out: Record<string, unknown> = JSON.parse(JSON.stringify(body));
      Object.defineProperty(out, key, { value: 'x', enumerable: true, configurable: true, writable: true });
      return { body: out, paths: [key] };
    });
  const notAnObject = fc
    .oneof(
      fc.constant(null),
      fc.integer(),
      anyText(20),
      fc.boolean(),
      fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
    )
    .map((body) => ({ body, paths: [''] }));
  const arbitraries: fc.Arbitrary<Case>[] = [badFields, badFields, unknownKey, notAnObject];
  if (route.required?.length) {
    arbitraries.push(
      fc.tuple(base, fc.constantFrom(...route.required)).map(([body, missing]) => {
        const { [missing]: _, ...rest } = body;
        return { body: rest, paths: [missing] };
      }),
    );
  }
  if (route.mode === 'patch') arbitraries.push(fc.constant({ body: {}, paths: [''] }));
  return fc.oneof(...arbitraries);
}

// ------------------------------------------------------------------------------------------------- setup

const patchTargets: Record<string, string> = {};

beforeAll(async () => {
  await insertUsers(db().appUrl, user);
  contentId = (await createContent(user, { title: 'Ref', contentType: 'blog_post' })).id;
  calendarEntryId = (
    await createCalendarEntry(user, { contentId, channel: 'blog', scheduledFor: '2030-01-01T00:00:00Z' })
  ).id;
  for (const route of BODY_ROUTES) {
    if (route.resource) patchTargets[route.key] = await resourceFactories[route.resource]!.create(user);
  }
  admin = new pg.Client({ connectionString: superuserUrl(db().name) });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
});

/** Rows of the route's table and of audit_log for the user, plus the PATCH target's JSON: must not change. */
async function state(route: BodyRoute): Promise<string> {
  const { rows } = await admin.query(
    `select (select count(*) from ${route.table} where user_id = $1) as rows,
            (select count(*) from audit_log where user_id = $1) as audit,
            (select row_to_json(t)::text from ${route.table} t where t.id = $2) as target`,
    [user, patchTargets[route.key] ?? null],
  );
  return JSON.stringify(rows[0]);
}

function request(route: BodyRoute, body: unknown, extra: { raw?: string; contentType?: string } = {}) {
  return call(route.key, {
    userId: user,
    ...(route.mode === 'patch' ? { params: { id: patchTargets[route.key]! } } : {}),
    ...(extra.raw === undefined ? { body } : { raw: extra.raw }),
    ...(extra.contentType ? { contentType: extra.contentType } : {}),
  });
}

const RUNS = 200;

describe.each(BODY_ROUTES)('$key', (route) => {
  it('is a body route of the table', () => {
    const def = (routes as Record<string, RouteDef>)[route.key];
    expect(def?.body).toBeDefined();
  });

  it(`answers ${RUNS} generated invalid bodies with 400 naming each offending field, and writes nothing`, async () => {
    const before = await state(route);
    await fc.assert(
      fc.asyncProperty(invalidCase(route), async ({ body, paths }) => {
        const response = await request(route, body);
        expect(response.status).toBe(400);
        expect(response.headers['content-type']).toBe('application/problem+json');
        expect(response.body).toMatchObject({
          status: 400,
          type: expect.stringContaining('validation-error'),
        });
        const named: string[] = response.body.errors.map((e: { path: string }) => e.path);
        for (const path of paths) {
          expect(named.some((n) => n === path || (path !== '' && n.startsWith(`${path}.`)))).toBe(true);
        }
        expect(await state(route)).toBe(before);
      }),
      { numRuns: RUNS },
    );
  });

  it('stores generated valid bodies and echoes them as sent', async () => {
    await fc.assert(
      fc.asyncProperty(validBody(route), async (body) => {
        if (route.mode === 'patch' && Object.keys(body).length === 0) return;
        const response = await request(route, body);
        expect(response.status).toBe(route.mode === 'create' ? 201 : 200);
        for (const [field, value] of Object.entries(body)) {
          const kind = route.fields[field]!;
          let expected = value;
          // Names and titles are stored normalised (NFC, no invisible characters, trimmed).
          if (kind.t === 'label') expected = normaliseName(value as string);
          if (kind.t === 'datetime') expected = new Date(value as string).toISOString();
          if (kind.t === 'json') expected = JSON.parse(JSON.stringify(value));
          expect(JSON.parse(JSON.stringify(response.body[field]))).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('answers malformed JSON with 400, a non-JSON content type with 415 and a body over the limit with 413, writing nothing', async () => {
    // 2 MiB on every route except the pasted-text POST (5.5 MiB).
    const limit = (routes[route.key as keyof typeof routes] as RouteDef).maxBodyBytes ?? 2 * 1024 * 1024;
    const before = await state(route);
    const malformed = await request(route, undefined, { raw: '{"title": "unterminated' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.type).toMatch(/malformed-json$/);
    const text = await request(route, undefined, { raw: '{}', contentType: 'text/plain' });
    expect(text.status).toBe(415);
    const form = await request(route, undefined, {
      raw: 'a=1',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    const huge = await request(route, undefined, {
      raw: JSON.stringify({ content: 'x'.repeat(limit + 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
    const missing = await request(route, undefined);
    expect(missing.status).toBe(400);
    for (const r of [malformed, text, form, huge, missing]) {
      expect(r.headers['content-type']).toBe('application/problem+json');
    }
    expect(await state(route)).toBe(before);
  });
});

describe('order of problems on PATCH', () => {
  it('400 for a bad body or a malformed id before 404, and 404 before 422 for a missing id', async () => {
    const missing = randomUUID();
    const badBody = await call('content-calendar/update', {
      userId: user,
      params: { id: missing },
      body: { status: 'x' },
    });
    expect(badBody.status).toBe(400);
    const badId = await call('content-calendar/update', {
      userId: user,
      params: { id: 'not-a-uuid' },
      body: { status: 'cancelled' },
    });
    expect(badId).toMatchObject({ status: 400, body: { errors: [expect.objectContaining({ path: 'id' })] } });
    const notFound = await call('content-calendar/update', {
      userId: user,
      params: { id: missing },
      body: { contentId: randomUUID() },
    });
    expect(notFound.status).toBe(404);
    const unowned = await call('content-calendar/update', {
      userId: user,
      params: { id: calendarEntryId },
      body: { contentId: randomUUID() },
    });
    expect(unowned).toMatchObject({
      status: 422,
      body: { errors: [expect.objectContaining({ path: 'contentId' })] },
    });
    const noToken = await call('content-calendar/update', { params: { id: missing }, body: { status: 'x' } });
    expect(noToken.status).toBe(401);
  });
});
