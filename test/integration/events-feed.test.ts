import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '#shared/db/tenant';
import { encodeFeedCursor, listEvents } from '#shared/events/feed';
import { recordEvent } from '#shared/events/outbox';
import { insertUsers, useTestDatabase } from '../support/db.ts';
import { asSuperuser, call } from './resources/helpers.ts';

/**
 * The outbox and the per-user feed (API.md "Events"): an event commits with its state change and never without
 * it; `GET /events` serves the caller's own events oldest first from a cursor that never skips a late commit
 * and is refused for anyone else.
 */
const db = useTestDatabase();
const alice = randomUUID();
const bob = randomUUID();
const subject = { type: 'cloud_connection', id: randomUUID() };

beforeAll(async () => {
  await insertUsers(db().appUrl, alice, bob);
});

const emit = (userId: string, n: number, type = 'cloud_storage.connected' as const) =>
  withTenant(userId, async (tx) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 1) ids.push(await recordEvent(tx, { type, subject, data: { n: i } }));
    return ids;
  });

/** Every event of a user through the feed, page by page. */
async function drain(userId: string, cursor?: string, limit = 2) {
  const ids: string[] = [];
  let next = cursor;
  for (let i = 0; i < 1000; i += 1) {
    const page = await listEvents(userId, { limit, ...(next ? { cursor: next } : {}) });
    expect(page.nextCursor).toEqual(expect.any(String));
    ids.push(...page.items.map((e) => e.id));
    if (page.items.length === 0) return { ids, cursor: page.nextCursor };
    next = page.nextCursor;
  }
  throw new Error('feed did not end');
}

describe('outbox', () => {
  it('writes the event in the state change transaction; a rollback emits nothing', async () => {
    const user = randomUUID();
    await insertUsers(db().appUrl, user);
    await expect(
      withTenant(user, async (tx) => {
        await tx.query("update users set name = 'changed' where id = $1", [user]);
        await recordEvent(tx, { type: 'cloud_storage.disconnected', subject, data: { provider: 'dropbox' } });
        throw new Error('injected failure after the state write');
      }),
    ).rejects.toThrow('injected failure');
    expect(await asSuperuser(db().name, 'select * from events where user_id = $1', [user])).toEqual([]);
    expect(
      (await asSuperuser<{ name: string }>(db().name, 'select name from users where id = $1', [user]))[0]!
        .name,
    ).not.toBe('changed');

    const [id] = await withTenant(user, async (tx) => [
      await recordEvent(tx, { type: 'cloud_storage.disconnected', subject, data: { provider: 'dropbox' } }),
    ]);
    const rows = await asSuperuser<{ id: string; user_id: string; type: string; published_at: null }>(
      db().name,
      'select id, user_id, type, published_at from events where user_id = $1',
      [user],
    );
    expect(rows).toEqual([{ id, user_id: user, type: 'cloud_storage.disconnected', published_at: null }]);
  });

  it('never stores a token-looking value in the data', async () => {
    const user = randomUUID();
    await insertUsers(db().appUrl, user);
    await withTenant(user, (tx) =>
      recordEvent(tx, {
        type: 'cloud_storage.refresh_failed',
        subject,
        data: { refreshToken: 'secret-refresh-token-value', reason: 'invalid_grant' },
      }),
    );
    const [row] = await asSuperuser<{ data: Record<string, unknown> }>(
      db().name,
      'select data from events where user_id = $1',
      [user],
    );
    expect(JSON.stringify(row!.data)).not.toContain('secret-refresh-token-value');
    expect(row!.data.reason).toBe('invalid_grant');
  });

  it('cannot write an event for another user (RLS)', async () => {
    const client = new pg.Client({ connectionString: db().appUrl });
    await client.connect();
    try {
      await client.query('begin');
      await client.query("select set_config('app.user_id', $1, true)", [alice]);
      await expect(
        client.query(
          `insert into events (user_id, type, subject_type, subject_id) values ($1, 'cloud_storage.connected', 'x', 'y')`,
          [bob],
        ),
      ).rejects.toThrow(/row-level security/);
      await client.query('rollback');
    } finally {
      await client.end();
    }
  });
});

describe('GET /events', () => {
  it('serves the caller’s events oldest first, page by page, and polls on from nextCursor', async () => {
    const user = randomUUID();
    await insertUsers(db().appUrl, user);
    const first = [...(await emit(user, 3)), ...(await emit(user, 2, 'cloud_storage.needs_reauth' as never))];
    const { ids, cursor } = await drain(user);
    expect(ids).toEqual(first);

    // Nothing new: the same cursor again. Then new events appear after it, and only those.
    const empty = await listEvents(user, { limit: 10, cursor });
    expect(empty).toEqual({ items: [], nextCursor: cursor });
    const later = await emit(user, 2);
    expect((await drain(user, cursor)).ids).toEqual(later);

    const filtered = await listEvents(user, { limit: 50, type: 'cloud_storage.needs_reauth' });
    expect(filtered.items.map((e) => e.id)).toEqual(first.slice(3));
    expect(filtered.items[0]).toEqual({
      id: first[3],
      type: 'cloud_storage.needs_reauth',
      occurredAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      subject,
      data: { n: 0 },
    });
  });

  it('orders by transaction id as a number, also across a digit boundary (99 before 100), on every page', async () => {
    // Transaction ids written as the outbox's default would write them, on either side of a power of ten: as
    // text '100' sorts before '99', and a feed ordered so served 100 first and then skipped 99 from its cursor.
    const user = randomUUID();
    await insertUsers(db().appUrl, user);
    // Served only once older than every running transaction: the ids used must be below the current horizon.
    const [horizon] = await asSuperuser<{ xmin: string }>(
      db().name,
      'select pg_snapshot_xmin(pg_current_snapshot())::text as xmin',
    );
    expect(BigInt(horizon!.xmin)).toBeGreaterThan(100n);
    const inserted = await asSuperuser<{ id: string }>(
      db().name,
      `insert into events (user_id, type, subject_type, subject_id, data, txid)
       select $1, 'cloud_storage.connected', 'cloud_connection', $2, jsonb_build_object('n', n), n::text::xid8
         from unnest(array[9, 10, 99, 100]) as n
       returning id`,
      [user, subject.id],
    );
    const expected = inserted.map((r) => r.id);
    expect((await listEvents(user, { limit: 100 })).items.map((e) => e.id)).toEqual(expected);
    expect((await drain(user, undefined, 1)).ids).toEqual(expected);
  });

  it('never skips an event whose transaction commits after a later one was served', async () => {
    const user = randomUUID();
    await insertUsers(db().appUrl, user);
    const start = (await listEvents(user, { limit: 10 })).nextCursor;

    // Transaction A writes first but commits last.
    const a = new pg.Client({ connectionString: db().appUrl });
    await a.connect();
    try {
      await a.query('begin');
      await a.query("select set_config('app.user_id', $1, true)", [user]);
      const aId = (
        await a.query<{ id: string }>(
          `insert into events (user_id, type, subject_type, subject_id) values ($1, 'cloud_storage.connected', 'cloud_connection', 'a') returning id`,
          [user],
        )
      ).rows[0]!.id;
      const [bId] = await emit(user, 1);

      // B has committed, but A (older) is still running: B is held back rather than served ahead of A.
      const during = await listEvents(user, { limit: 10, cursor: start });
      expect(during.items).toEqual([]);
      expect(during.nextCursor).toBe(start);

      await a.query('commit');
      expect((await drain(user, start)).ids).toEqual([aId, bId]);
    } finally {
      await a.end();
    }
  });

  it("never shows another user's event, by any cursor", async () => {
    const aliceIds = await emit(alice, 3);
    const bobIds = await emit(bob, 1);
    const all = await asSuperuser<{ txid: string; seq: number }>(
      db().name,
      'select txid::text as txid, seq from events order by txid, seq',
    );
    // Bob's own cursors at every position in the table, including ones around Alice's rows.
    for (const position of [{ txid: '0', seq: 0 }, ...all]) {
      const page = await listEvents(bob, { limit: 100, cursor: encodeFeedCursor(bob, position) });
      for (const id of aliceIds) expect(JSON.stringify(page)).not.toContain(id);
    }
    expect((await drain(bob)).ids).toEqual(bobIds);
    // Alice's cursor is refused for Bob: 400 naming the cursor, nothing of Alice's in the answer.
    const aliceCursor = (await listEvents(alice, { limit: 1 })).nextCursor;
    const res = await call('events/list', { userId: bob, query: { cursor: aliceCursor } });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.errors).toEqual([{ path: 'cursor', message: 'Invalid cursor' }]);
    expect(JSON.stringify(res.body)).not.toContain(aliceIds[0]);
  });

  it('answers 400 naming the field for a bad cursor, limit or type', async () => {
    for (const query of [
      { cursor: 'not-a-cursor!' },
      { cursor: Buffer.from('{"v":1,"x":"1","s":1,"u":"x"}').toString('base64url') },
      { cursor: encodeFeedCursor(alice, { txid: '1', seq: 1 }).slice(0, -2) },
    ]) {
      const res = await call('events/list', { userId: alice, query });
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.errors[0].path).toBe('cursor');
    }
    const badLimit = await call('events/list', { userId: alice, query: { limit: '0' } });
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.errors[0].path).toBe('limit');
    const badType = await call('events/list', { userId: alice, query: { type: 'competitor.created' } });
    expect(badType.status).toBe(400);
    expect(badType.body.errors[0].path).toBe('type');

    const ok = await call('events/list', { userId: alice, query: { limit: '1' } });
    expect(ok.status).toBe(200);
    expect(ok.body.items).toHaveLength(1);
  });
});
