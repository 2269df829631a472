import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureOutput } from '../../support/capture-output.ts';
import { insertUsers, useTestDatabase } from '../../support/db.ts';
import { asSuperuser, call, snapshotUser } from '../resources/helpers.ts';

/**
 * Findings 2 and 4 of the security review: a free-form JSON field (`metrics`) is stored exactly as accepted,
 * own `__proto__` keys included, and no nesting depth turns into a 500.
 */
const db = useTestDatabase();
const user = randomUUID();
let postId: string;

beforeAll(async () => {
  await insertUsers(db().appUrl, user);
  const created = await call('published-posts/create', {
    userId: user,
    body: { channel: 'blog', publishedAt: '2024-01-01T00:00:00Z', metrics: { views: 1 } },
  });
  postId = created.body.id;
});

afterEach(() => {
  vi.restoreAllMocks();
});

const deep = (levels: number, inner = '1') => `${'{"a":'.repeat(levels)}${inner}${'}'.repeat(levels)}`;
const deepArray = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const post = (metrics: string) =>
  `{"channel":"blog","publishedAt":"2024-01-01T00:00:00Z","metrics":${metrics}}`;

describe('special keys in a free-form JSON field (finding 4)', () => {
  const metrics =
    '{"__proto__":[],"constructor":{"prototype":{"__proto__":{"x":1}}},"nested":[{"__proto__":null}],"toString":"s"}';

  it('POST stores own __proto__, constructor and prototype keys and reads them back unchanged', async () => {
    const created = await call('published-posts/create', { userId: user, raw: post(metrics) });
    expect(created.status).toBe(201);
    const expected = JSON.parse(metrics);
    expect(Object.keys(created.body.metrics).sort()).toEqual([
      '__proto__',
      'constructor',
      'nested',
      'toString',
    ]);
    expect(created.body.metrics).toEqual(expected);
    const read = await call('published-posts/get', { userId: user, params: { id: created.body.id } });
    expect(read.body.metrics).toEqual(expected);
    const [row] = await asSuperuser<{ metrics: string }>(
      db().name,
      'select metrics::text as metrics from published_posts where id = $1',
      [created.body.id],
    );
    expect(JSON.parse(row!.metrics)).toEqual(expected);
  });

  it('PATCH stores a lone {"__proto__": []} instead of {}', async () => {
    const patched = await call('published-posts/update', {
      userId: user,
      params: { id: postId },
      raw: '{"metrics":{"__proto__":[]}}',
    });
    expect(patched.status).toBe(200);
    expect(Object.hasOwn(patched.body.metrics, '__proto__')).toBe(true);
    expect(patched.body.metrics).toEqual(JSON.parse('{"__proto__":[]}'));
  });
});

describe('deep JSON (finding 2)', () => {
  const cases: Array<[string, string]> = [
    ['an object 5,000 levels deep', deep(5_000)],
    ['an object 20,000 levels deep', deep(20_000)],
    ['an array 100,000 levels deep', deepArray(100_000)],
    ['an object 33 levels deep (just over the field limit)', deep(33)],
  ];

  it.each(cases)(
    'POST and PATCH answer %s in metrics with 400 naming metrics, write nothing, log no error',
    async (_, metrics) => {
      const before = await snapshotUser(db().name, user);
      const output = captureOutput();
      const created = await call('published-posts/create', { userId: user, raw: post(metrics) });
      const patched = await call('published-posts/update', {
        userId: user,
        params: { id: postId },
        raw: `{"metrics":${metrics}}`,
      });
      vi.restoreAllMocks();
      for (const response of [created, patched]) {
        expect(response.status).toBe(400);
        expect(response.headers['content-type']).toBe('application/problem+json');
        expect(response.body.errors.map((e: { path: string }) => e.path.split('.')[0])).toContain('metrics');
      }
      expect(output.lines().filter((l) => l.level === 'ERROR')).toEqual([]);
      expect(await snapshotUser(db().name, user)).toEqual(before);
    },
  );

  it('a deep value in a field that is not free-form (or unknown) is a 400 as well', async () => {
    for (const raw of [
      `{"name":${deep(20_000)}}`,
      `{"name":"Acme","strengths":${deepArray(20_000)}}`,
      `{"name":"Acme","unknown":${deep(20_000)}}`,
      deepArray(50_000),
    ]) {
      const response = await call('competitors/create', { userId: user, raw });
      expect(response.status).toBe(400);
    }
  });

  it('32 levels inside metrics are accepted and read back', async () => {
    const metrics = deep(32);
    const created = await call('published-posts/create', { userId: user, raw: post(metrics) });
    expect(created.status).toBe(201);
    expect(created.body.metrics).toEqual(JSON.parse(metrics));
  });
});

describe('numbers a free-form field cannot carry back exactly', () => {
  it.each([
    ['1e400', 'overflows to Infinity'],
    ['-1e400', 'overflows to -Infinity'],
    ['-0', 'comes back as 0'],
  ])('%s (%s) → 400 naming the key', async (number) => {
    const response = await call('published-posts/create', { userId: user, raw: post(`{"n":[${number}]}`) });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'metrics.n.0' })]);
  });
});
