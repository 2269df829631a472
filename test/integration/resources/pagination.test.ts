import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { routeEntries } from '#functions/routes';
import { decodeCursor, encodeCursor } from '#shared/db/pagination';
import { encodeFeedCursor } from '#shared/events/feed';
import { createBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';
import { createCompetitor } from '#shared/resources/competitors/service';
import { createContent } from '#shared/resources/content/service';
import { insertUsers, useTestDatabase } from '../../support/db.ts';
import { asSuperuser, call } from './helpers.ts';

const db = useTestDatabase();
const user = randomUUID();

beforeAll(async () => {
  await insertUsers(db().appUrl, user);
});

interface Item {
  id: string;
  createdAt: string;
}

async function pageThrough(
  key: string,
  userId: string,
  query: Record<string, string>,
  between?: (pageNumber: number) => Promise<void>,
): Promise<Item[][]> {
  const pages: Item[][] = [];
  let cursor: string | null = null;
  do {
    const response = await call(key, { userId, query: { ...query, ...(cursor ? { cursor } : {}) } });
    expect(response.status).toBe(200);
    pages.push(response.body.items);
    cursor = response.body.nextCursor;
    if (between) await between(pages.length);
  } while (cursor && pages.length < 50);
  return pages;
}

describe('keyset pagination', () => {
  it('serves 120 items in pages of 50 exactly once, newest first, while new items arrive between pages', async () => {
    const created: string[] = [];
    for (let i = 0; i < 120; i++) created.push((await createCompetitor(user, { name: `Rival ${i}` })).id);
    const arrivals: string[] = [];
    const pages = await pageThrough('competitors/list', user, { limit: '50' }, async (n) => {
      for (let i = 0; i < 3; i++)
        arrivals.push((await createCompetitor(user, { name: `Late ${n}.${i}` })).id);
    });
    expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
    const served = pages.flat().map((c) => c.id);
    // Each original exactly once, in reverse creation order; later arrivals are newer than every cursor.
    expect(served).toEqual([...created].reverse());
    for (const id of arrivals) expect(served).not.toContain(id);
    const times = pages.flat().map((c) => Date.parse(c.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('breaks ties on created_at by id, so rows of the same instant are neither skipped nor repeated', async () => {
    const u = randomUUID();
    await insertUsers(db().appUrl, u);
    const instant = '2024-06-01T12:00:00.123456Z';
    const ids = Array.from({ length: 11 }, () => randomUUID());
    for (const [i, id] of ids.entries()) {
      await asSuperuser(
        db().name,
        `insert into content_library (id, user_id, title, content_type, created_at, updated_at)
         values ($1, $2, $3, 'ad', $4, $4)`,
        [id, u, `Same instant ${i}`, i < 8 ? instant : '2024-06-01T12:00:00.123457Z'],
      );
    }
    const pages = await pageThrough('content/list', u, { limit: '3' });
    const served = pages.flat().map((c) => c.id);
    const newest = ids.slice(8).sort().reverse();
    const tied = ids.slice(0, 8).sort().reverse();
    expect(served).toEqual([...newest, ...tied]);
    expect(pages.at(-1)!.length).toBeGreaterThan(0);
  });

  it('pages filtered lists and ends with nextCursor null', async () => {
    const u = randomUUID();
    await insertUsers(db().appUrl, u);
    const drafts: string[] = [];
    for (let i = 0; i < 7; i++) {
      const c = await createContent(u, { title: `C${i}`, contentType: i % 2 ? 'email' : 'ad' });
      if (i % 2) drafts.push(c.id);
    }
    const pages = await pageThrough('content/list', u, { limit: '2', contentType: 'email' });
    expect(pages.flat().map((c) => c.id)).toEqual(drafts.reverse());
    const exact = await call('content/list', { userId: u, query: { limit: '7' } });
    expect(exact.body.items).toHaveLength(7);
    expect(exact.body.nextCursor).toBeNull();
    const newcomer = randomUUID();
    await insertUsers(db().appUrl, newcomer);
    const fresh = await call('content/list', { userId: newcomer });
    expect(fresh.body).toEqual({ items: [], nextCursor: null });
  });

  it('ends a page early when its documents would exceed the byte budget, and still serves every item once', async () => {
    const u = randomUUID();
    await insertUsers(db().appUrl, u);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      // 1 MiB of UTF-8 each: four fit in one page's 4 MiB budget.
      const asset = await createBrandVoiceAsset(u, {
        title: `Doc ${i}`,
        category: 'other',
        content: 'é'.repeat(512 * 1024),
      });
      ids.push(asset.id);
    }
    await createBrandVoiceAsset(u, { title: 'Small', category: 'other', content: 'tiny' }).then((a) =>
      ids.push(a.id),
    );
    const pages = await pageThrough('brand-voice-assets/list', u, { limit: '50' });
    // Newest first: the small one, then four 1 MiB documents; the fifth would start past the budget.
    expect(pages.map((p) => p.length)).toEqual([5, 2]);
    expect(pages.flat().map((a) => a.id)).toEqual([...ids].reverse());
    const small = await pageThrough('brand-voice-assets/list', u, { limit: '2' });
    expect(small.map((p) => p.length)).toEqual([2, 2, 2, 1]);
  });

  it('defaults to 50 items per page', async () => {
    const response = await call('competitors/list', { userId: user });
    expect(response.body.items).toHaveLength(50);
    expect(response.body.nextCursor).toEqual(expect.any(String));
  });
});

describe('list query validation', () => {
  const valid = encodeCursor(user, { at: '2024-01-01T00:00:00.000001Z', id: randomUUID() });
  const u = JSON.parse(Buffer.from(valid, 'base64url').toString('utf8')).u as string;
  const json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const badCursors = [
    'not-a-cursor!',
    'abc',
    json({ at: '2024-01-01T00:00:00.000001Z', u }),
    json({ at: '2024-01-01T00:00:00Z', id: randomUUID(), u }),
    json({ at: '2024-02-30T00:00:00.000000Z', id: randomUUID(), u }),
    json({ at: '2024-01-01T00:00:00.000001Z', id: 'x', u }),
    json({ at: '2024-01-01T00:00:00.000001Z', id: randomUUID(), u, extra: 1 }),
    json(['2024-01-01T00:00:00.000001Z', randomUUID()]),
    // The previous release's cursors, bound to nobody.
    json({ at: '2024-01-01T00:00:00.000001Z', id: randomUUID() }),
    json({ at: '2024-01-01T00:00:00.000001Z', id: randomUUID(), u: 'AAAAAAAAAAAAAAAA' }),
    `${valid}=`,
    `${valid}A`,
  ];

  it.each(badCursors)('answers 400 naming `cursor` for the cursor %s', async (cursor) => {
    expect(() => decodeCursor(user, cursor)).toThrow();
    const response = await call('competitors/list', { userId: user, query: { cursor } });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'cursor' })]);
  });

  it('round-trips a cursor it issued, for the user it was issued to only', () => {
    const position = { at: '2024-01-01T00:00:00.000001Z', id: randomUUID() };
    expect(decodeCursor(user, encodeCursor(user, position))).toEqual(position);
    expect(() => decodeCursor(randomUUID(), encodeCursor(user, position))).toThrow();
  });

  // Every list route of the table over our own rows (API.md: "Cursors are opaque and bound to the caller"). The
  // files listing's cursor wraps a provider's page token and needs a connection: its binding to user, provider and
  // folder is tested end to end in test/e2e/hardening.test.ts.
  const listRoutes = routeEntries()
    .filter(
      ([key, def]) =>
        def.method === 'GET' &&
        def.query &&
        'cursor' in ((def.query as { shape?: object }).shape ?? {}) &&
        key !== 'cloud-storage/list-files',
    )
    .map(([key]) => key);

  it('finds the list routes of the table', () => {
    expect(listRoutes).toEqual(expect.arrayContaining(['competitors/list', 'audit-log/list', 'events/list']));
  });

  it.each(listRoutes)("%s: another user's cursor → 400 naming `cursor`; the owner's works", async (key) => {
    const other = randomUUID();
    await insertUsers(db().appUrl, other);
    const cursor =
      key === 'events/list'
        ? encodeFeedCursor(user, { txid: '1', seq: 1 })
        : encodeCursor(user, { at: '2024-01-01T00:00:00.000001Z', id: randomUUID() });
    const theirs = await call(key, { userId: other, query: { cursor } });
    expect(theirs.status).toBe(400);
    expect(theirs.body.errors).toEqual([expect.objectContaining({ path: 'cursor' })]);
    expect((await call(key, { userId: user, query: { cursor } })).status).toBe(200);
  });

  it('a cursor a list issued is refused to another user over the same route', async () => {
    const first = await call('competitors/list', { userId: user, query: { limit: '1' } });
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const other = randomUUID();
    await insertUsers(db().appUrl, other);
    const theirs = await call('competitors/list', {
      userId: other,
      query: { cursor: first.body.nextCursor },
    });
    expect(theirs.status).toBe(400);
    expect(
      (await call('competitors/list', { userId: user, query: { cursor: first.body.nextCursor } })).status,
    ).toBe(200);
  });

  it.each([
    ['competitors/list', { limit: '0' }, 'limit'],
    ['competitors/list', { limit: '101' }, 'limit'],
    ['competitors/list', { limit: 'ten' }, 'limit'],
    ['competitors/list', { limit: '2.5' }, 'limit'],
    ['competitors/list', { userId: user }, 'userId'],
    ['competitors/list', { offset: '10' }, 'offset'],
    ['content/list', { status: 'published' }, 'status'],
    ['content/list', { contentType: 'tweet' }, 'contentType'],
    ['brand-voice-assets/list', { category: 'logos' }, 'category'],
    ['content-calendar/list', { from: 'tomorrow' }, 'from'],
    ['content-calendar/list', { from: '2030-02-01T00:00:00Z', to: '2030-01-01T00:00:00Z' }, 'to'],
    ['audit-log/list', { action: 'competitor.created' }, 'action'],
    ['brand-strategy/history', { limit: '-1' }, 'limit'],
  ])('%s?%o → 400 naming %s', async (key, query, path) => {
    const response = await call(key, { userId: user, query });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('accepts the boundaries 1 and 100', async () => {
    expect((await call('competitors/list', { userId: user, query: { limit: '1' } })).body.items).toHaveLength(
      1,
    );
    expect(
      (await call('competitors/list', { userId: user, query: { limit: '100' } })).body.items,
    ).toHaveLength(100);
  });
});
