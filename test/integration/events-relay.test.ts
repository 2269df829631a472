import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLocalEvents } from '#local/events';
import { withTenant } from '#shared/db/tenant';
import { sqsDeadLetter } from '#shared/events/dead-letter';
import { eventBridgePublisher } from '#shared/events/eventbridge';
import { type EventType, recordEvent } from '#shared/events/outbox';
import { type EventPublisher, orderedChunks, relayEvents } from '#shared/events/relay';
import { resetWebhookSecretForTests } from '#shared/events/webhook-secret';
import { deliverWebhooks, type WebhookPayload } from '#shared/events/webhooks';
import { insertUsers, useTestDatabase } from '../support/db.ts';
import { type FakeAwsEvents, startFakeAwsEvents } from '../support/fake-aws-events.ts';
import { asSuperuser } from './resources/helpers.ts';

/**
 * The relay (outbox → EventBridge, at least once, in order per subject) and the webhook deliverer (Standard
 * Webhooks signatures checked with the reference library, retries with backoff, dead letters after 24 hours,
 * per-connection order, the delivery log) against a real PostgreSQL and loopback AWS fakes.
 */
const db = useTestDatabase();
const user = randomUUID();
const secret = `whsec_${randomBytes(32).toString('base64')}`;
const BUS = 'brand-cloud-test';
const DLQ = 'http://sqs.local/000000000000/webhooks-dlq';
let aws: FakeAwsEvents;
let publisher: EventPublisher;

/** A webhook receiver that verifies every request with the `standardwebhooks` library. */
interface Receiver {
  url: string;
  /** Successfully verified and acknowledged (2xx) deliveries, in arrival order. */
  acknowledged: WebhookPayload[];
  /** Every request: webhook-id and the status answered. */
  requests: Array<{ id: string; status: number }>;
  verificationFailures: number;
  /** Status to answer for the next requests (then 204). */
  answers: number[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const verifier = new Webhook(secret);
  const receiver: Omit<Receiver, 'url' | 'close'> = {
    acknowledged: [],
    requests: [],
    verificationFailures: 0,
    answers: [],
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let payload: WebhookPayload;
      try {
        payload = verifier.verify(body, req.headers as Record<string, string>) as WebhookPayload;
      } catch {
        receiver.verificationFailures += 1;
        res.writeHead(400).end();
        return;
      }
      const status = receiver.answers.shift() ?? 204;
      receiver.requests.push({ id: String(req.headers['webhook-id']), status });
      if (status < 300) receiver.acknowledged.push(payload);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

let receiver: Receiver;

beforeAll(async () => {
  await insertUsers(db().appUrl, user);
  aws = await startFakeAwsEvents();
  publisher = eventBridgePublisher({ busName: BUS, endpoint: aws.endpoint });
  receiver = await startReceiver();
});
afterAll(async () => {
  await aws?.close();
  await receiver?.close();
});
beforeEach(async () => {
  await asSuperuser(db().name, 'delete from webhook_deliveries; delete from events');
  aws.clear();
  Object.assign(receiver, { acknowledged: [], requests: [], verificationFailures: 0, answers: [] });
});

/** `count` events about one connection, each in its own transaction (as state changes are). */
async function emit(subjectId: string, types: EventType[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, type] of types.entries()) {
    ids.push(
      await withTenant(user, (tx) =>
        recordEvent(tx, { type, subject: { type: 'cloud_connection', id: subjectId }, data: { step: i } }),
      ),
    );
  }
  return ids;
}

const deliver = () =>
  deliverWebhooks({
    url: receiver.url,
    secret,
    concurrency: 4,
    deadLetter: sqsDeadLetter(DLQ, aws.endpoint),
  });
/** Makes every pending delivery due now (instead of waiting out the backoff). */
const makeDue = () =>
  asSuperuser(db().name, "update webhook_deliveries set next_attempt_at = now() where status = 'pending'");
const detailsOf = (entries: Array<{ Detail: string }>) =>
  entries.map((e) => JSON.parse(e.Detail) as { id: string; subject: { id: string } });

describe('relay', () => {
  it('publishes every committed event once to the bus, in order per connection, and marks it', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const aIds = await emit(a, [
      'cloud_storage.connected',
      'cloud_storage.refresh_failed',
      'cloud_storage.needs_reauth',
    ]);
    const bIds = await emit(b, ['cloud_storage.connected', 'cloud_storage.disconnected']);
    const summary = await relayEvents({ publisher, webhooks: false });
    expect(summary).toMatchObject({ busy: false, published: 5, failed: 0 });

    expect(aws.accepted.every((e) => e.EventBusName === BUS && e.Source === 'brand-cloud')).toBe(true);
    const published = detailsOf(aws.accepted);
    expect(published.filter((e) => e.subject.id === a).map((e) => e.id)).toEqual(aIds);
    expect(published.filter((e) => e.subject.id === b).map((e) => e.id)).toEqual(bIds);
    expect(aws.accepted[0]).toMatchObject({ DetailType: 'cloud_storage.connected' });
    expect(JSON.parse(aws.accepted[0]!.Detail)).toEqual({
      id: expect.any(String),
      type: 'cloud_storage.connected',
      occurredAt: expect.any(String),
      subject: { type: 'cloud_connection', id: expect.any(String) },
      data: { step: 0 },
      userId: user,
    });
    // A publish call never carries two events of one connection (a partial failure could reorder them).
    for (const call of aws.putCalls) {
      const subjects = detailsOf(call).map((e) => e.subject.id);
      expect(new Set(subjects).size).toBe(subjects.length);
      expect(call.length).toBeLessThanOrEqual(10);
    }
    const unpublished = await asSuperuser(db().name, 'select 1 from events where published_at is null');
    expect(unpublished).toEqual([]);

    expect((await relayEvents({ publisher, webhooks: false })).published).toBe(0);
    expect(aws.accepted).toHaveLength(5);
  });

  it('holds a connection back behind a refused entry and publishes it later in order; others go on', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const aIds = await emit(a, ['cloud_storage.connected', 'cloud_storage.refresh_failed']);
    const bIds = await emit(b, ['cloud_storage.connected']);
    aws.failEntriesWhere((entry) => entry.Detail.includes(aIds[0]!));
    const first = await relayEvents({ publisher, webhooks: false });
    expect(first).toMatchObject({ published: 1, failed: 1, heldBack: 1 });
    expect(detailsOf(aws.accepted).map((e) => e.id)).toEqual(bIds);

    aws.failEntriesWhere(undefined);
    expect((await relayEvents({ publisher, webhooks: false })).published).toBe(2);
    expect(detailsOf(aws.accepted).map((e) => e.id)).toEqual([...bIds, ...aIds]);
  });

  it('a relay that dies after publishing and before its commit loses nothing: the events go out again', async () => {
    const ids = await emit(randomUUID(), ['cloud_storage.connected', 'cloud_storage.disconnected']);
    const crashing: EventPublisher = {
      batchSize: 10,
      async publish(events) {
        await publisher.publish(events);
        throw new Error('container killed after PutEvents');
      },
    };
    // The publish error is treated like refused entries: nothing is marked, the pass ends.
    const crashed = await relayEvents({ publisher: crashing, webhooks: false });
    expect(crashed.published).toBe(0);
    await relayEvents({ publisher, webhooks: false });
    const seen = detailsOf(aws.accepted).map((e) => e.id);
    // At least once: the first copy and the retry carry the same event id (the consumers' idempotency key).
    expect(seen.filter((id) => id === ids[0])).toHaveLength(2);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(await asSuperuser(db().name, 'select 1 from events where published_at is null')).toEqual([]);
  });

  it('a rolled-back change publishes nothing', async () => {
    await expect(
      withTenant(user, async (tx) => {
        await recordEvent(tx, {
          type: 'cloud_storage.connected',
          subject: { type: 'cloud_connection', id: randomUUID() },
        });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await relayEvents({ publisher, webhooks: false })).published).toBe(0);
    expect(aws.accepted).toEqual([]);
  });

  it('two relays at once: one works, the other steps aside', async () => {
    await emit(randomUUID(), ['cloud_storage.connected']);
    const [x, y] = await Promise.all([
      relayEvents({ publisher, webhooks: false }),
      relayEvents({ publisher, webhooks: false }),
    ]);
    expect(x.published + y.published).toBe(1);
    expect(aws.accepted).toHaveLength(1);
  });

  it('orderedChunks keeps each subject in order across chunks of bounded size', () => {
    const events = ['a', 'a', 'b', 'a', 'c', 'b'].map((s, i) => ({ subject: { type: 't', id: s }, i }));
    const chunks = orderedChunks(events, 2);
    const position = new Map(chunks.flatMap((chunk, c) => chunk.map((e) => [e.i, c] as const)));
    expect(chunks.every((c) => c.length <= 2)).toBe(true);
    for (const [x, y] of [
      [0, 1],
      [1, 3],
      [2, 5],
    ] as const)
      expect(position.get(x)!).toBeLessThan(position.get(y)!);
  });
});

describe('webhooks', () => {
  it('signs per Standard Webhooks (verified by the reference library); webhook-id is the event id', async () => {
    const subject = randomUUID();
    const ids = await emit(subject, ['cloud_storage.connected']);
    expect((await relayEvents({ publisher, webhooks: true })).queuedWebhooks).toBe(1);
    const summary = await deliver();
    expect(summary).toMatchObject({ attempts: 1, delivered: 1 });
    expect(receiver.verificationFailures).toBe(0);
    expect(receiver.requests).toEqual([{ id: ids[0], status: 204 }]);
    expect(receiver.acknowledged[0]).toEqual({
      id: ids[0],
      type: 'cloud_storage.connected',
      timestamp: expect.any(String),
      occurredAt: expect.any(String),
      userId: user,
      subject: { type: 'cloud_connection', id: subject },
      data: { step: 0 },
    });

    // A wrong secret does not verify: the check above is real.
    const other = await deliverWebhooks({
      url: receiver.url,
      secret: `whsec_${randomBytes(32).toString('base64')}`,
    });
    expect(other.attempts).toBe(0); // nothing pending any more
    await emit(subject, ['cloud_storage.disconnected']);
    await relayEvents({ publisher, webhooks: true });
    await deliverWebhooks({ url: receiver.url, secret: `whsec_${randomBytes(32).toString('base64')}` });
    expect(receiver.verificationFailures).toBe(1);
  });

  it('a receiver failing 3 times then succeeding gets the event exactly once more; the log shows every attempt', async () => {
    const [id] = await emit(randomUUID(), ['cloud_storage.needs_reauth']);
    await relayEvents({ publisher, webhooks: true });
    receiver.answers.push(500, 503, 429);
    for (let pass = 0; pass < 3; pass += 1) {
      expect((await deliver()).retried).toBe(1);
      const [row] = await asSuperuser<{ due_later: boolean }>(
        db().name,
        'select next_attempt_at > now() as due_later from webhook_deliveries where event_id = $1',
        [id],
      );
      expect(row!.due_later).toBe(true); // backed off, not retried in a loop
      expect((await deliver()).attempts).toBe(0);
      await makeDue();
    }
    expect((await deliver()).delivered).toBe(1);
    await makeDue();
    for (let i = 0; i < 3; i += 1) expect((await deliver()).attempts).toBe(0);

    expect(receiver.requests.map((r) => r.status)).toEqual([500, 503, 429, 204]);
    expect(receiver.acknowledged.map((p) => p.id)).toEqual([id]);
    const log = await asSuperuser<{ attempt: number; status_code: number; error: string | null }>(
      db().name,
      'select attempt, status_code, error from webhook_delivery_attempts where event_id = $1 order by attempt',
      [id],
    );
    expect(log).toEqual([
      { attempt: 1, status_code: 500, error: 'http_status' },
      { attempt: 2, status_code: 503, error: 'http_status' },
      { attempt: 3, status_code: 429, error: 'http_status' },
      { attempt: 4, status_code: 204, error: null },
    ]);
    const [delivery] = await asSuperuser(
      db().name,
      'select status, attempts from webhook_deliveries where event_id = $1',
      [id],
    );
    expect(delivery).toEqual({ status: 'delivered', attempts: 4 });
  });

  it('per connection, events reach the receiver in order even while an earlier one is retried', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const aIds = await emit(a, [
      'cloud_storage.connected',
      'cloud_storage.refresh_failed',
      'cloud_storage.needs_reauth',
      'cloud_storage.reconnected',
    ]);
    const bIds = await emit(b, ['cloud_storage.connected', 'cloud_storage.disconnected']);
    await relayEvents({ publisher, webhooks: true });
    receiver.answers.push(500); // the first request fails (whichever connection it is)
    for (let pass = 0; pass < 10; pass += 1) {
      await deliver();
      await makeDue();
    }
    const acked = receiver.acknowledged.map((p) => p.id);
    expect(acked.filter((id) => aIds.includes(id))).toEqual(aIds);
    expect(acked.filter((id) => bIds.includes(id))).toEqual(bIds);
    expect(receiver.requests).toHaveLength(7);
  });

  it('after 24 hours of failures a delivery is dead-lettered to the queue; later events of the connection go on', async () => {
    const subject = randomUUID();
    const [first, second] = await emit(subject, ['cloud_storage.refresh_failed', 'cloud_storage.recovered']);
    await relayEvents({ publisher, webhooks: true });
    receiver.answers.push(500);
    await deliver();
    await asSuperuser(
      db().name,
      "update webhook_deliveries set created_at = now() - interval '25 hours', next_attempt_at = now() where event_id = $1",
      [first],
    );
    receiver.answers.push(502);
    const summary = await deliver();
    expect(summary.deadLettered).toBe(1);
    expect(summary.delivered).toBe(1); // the next event of the connection is no longer held back
    const letters = (aws.messages.get(DLQ) ?? []).map((m) => JSON.parse(m));
    expect(letters).toEqual([
      expect.objectContaining({ eventId: first, attempts: 2, lastStatusCode: 502, lastError: 'http_status' }),
    ]);
    expect(letters[0].payload.id).toBe(first);
    const rows = await asSuperuser(
      db().name,
      'select event_id, status from webhook_deliveries order by event_seq',
    );
    expect(rows).toEqual([
      { event_id: first, status: 'dead' },
      { event_id: second, status: 'delivered' },
    ]);
  });

  it('a slow receiver holds nothing back: the relay publishes and another deliverer delivers during the POST, never the same event twice', async () => {
    // The relay publishes only rows of transactions older than every running one (pg_snapshot_xmin). A deliverer
    // that kept its row lock (and so a transaction id) through the request would stall every newer event, for
    // the bus too, for as long as the receiver takes (up to the 5 s timeout, per delivery).
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const arrived: string[] = [];
    const slow = http.createServer((req, res) => {
      arrived.push(String(req.headers['webhook-id']));
      req.resume();
      void released.then(() => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const [first] = await emit(randomUUID(), ['cloud_storage.connected']);
      await relayEvents({ publisher, webhooks: true });
      const inFlight = deliverWebhooks({
        url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`,
        secret,
        concurrency: 1,
      });
      for (let i = 0; i < 200 && arrived.length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
      expect(arrived).toEqual([first]);

      const [later] = await emit(randomUUID(), ['cloud_storage.disconnected']);
      expect((await relayEvents({ publisher, webhooks: true })).published).toBe(1);
      // A second deliverer meanwhile: it delivers the newer event, not the one in flight.
      expect(await deliver()).toMatchObject({ attempts: 1, delivered: 1 });
      expect(receiver.requests.map((r) => r.id)).toEqual([later]);

      release();
      expect(await inFlight).toMatchObject({ attempts: 1, delivered: 1 });
      const rows = await asSuperuser(
        db().name,
        'select event_id, status, attempts from webhook_deliveries order by event_seq',
      );
      expect(rows).toEqual([
        { event_id: first, status: 'delivered', attempts: 1 },
        { event_id: later, status: 'delivered', attempts: 1 },
      ]);
      await makeDue();
      expect((await deliver()).attempts).toBe(0);
    } finally {
      release();
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });

  it('a receiver that does not answer in time is retried (timeout), never holding other connections', async () => {
    const slow = http.createServer(() => undefined);
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const [id] = await emit(randomUUID(), ['cloud_storage.connected']);
      await relayEvents({ publisher, webhooks: true });
      const summary = await deliverWebhooks({
        url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`,
        secret,
        timeoutMs: 200,
      });
      expect(summary.retried).toBe(1);
      const [row] = await asSuperuser(
        db().name,
        'select error from webhook_delivery_attempts where event_id = $1',
        [id],
      );
      expect(row).toEqual({ error: 'timeout' });
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });
});

describe('concurrent writers', () => {
  it('transactions committing in the reverse order of their ids: every event reaches the bus and the receiver exactly once', async () => {
    // Out-of-order commits are where an outbox relay that advances a cursor by id skips events for good: the
    // relay runs (every 20 ms) while younger transactions commit before older ones. Each writer holds its
    // own connection, so the order of the ids (sequence, transaction id) and of the commits is the test's.
    vi.stubEnv('WEBHOOK_URL', receiver.url);
    vi.stubEnv('WEBHOOK_SECRET', secret);
    resetWebhookSecretForTests();
    const local = startLocalEvents({ stateDir: '/nonexistent-not-used', intervalMs: 20 });
    const writers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const client = new pg.Client({ connectionString: db().appUrl });
        await client.connect();
        return client;
      }),
    );
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    try {
      const ids: string[] = [];
      for (const client of writers) {
        await client.query('begin');
        await client.query("select set_config('app.user_id', $1, true)", [user]);
        ids.push(
          await recordEvent(client, {
            type: 'cloud_storage.connected',
            subject: { type: 'cloud_connection', id: randomUUID() },
          }),
        );
      }
      // Youngest first, with relay passes in between (a pass sees the younger rows committed, the older not).
      for (const client of [...writers].reverse()) {
        await client.query('commit');
        await sleep(60);
      }
      // And a second wave interleaved with the first's ids: odd writers commit before even ones.
      const second: string[] = [];
      for (const client of writers) {
        await client.query('begin');
        await client.query("select set_config('app.user_id', $1, true)", [user]);
        second.push(
          await recordEvent(client, {
            type: 'cloud_storage.recovered',
            subject: { type: 'cloud_connection', id: randomUUID() },
          }),
        );
      }
      for (const client of [
        ...writers.filter((_, i) => i % 2 === 1),
        ...writers.filter((_, i) => i % 2 === 0),
      ]) {
        await client.query('commit');
        await sleep(40);
      }
      const all = [...ids, ...second];
      for (let i = 0; i < 300 && receiver.acknowledged.length < all.length; i += 1) await sleep(10);
      await sleep(200); // several more passes: a second copy would arrive now
      const received = receiver.acknowledged.map((p) => p.id);
      expect([...received].sort()).toEqual([...all].sort());
      expect(local.bus.events.map((e) => e.id).sort()).toEqual([...all].sort());
      expect(receiver.verificationFailures).toBe(0);
      const log = await asSuperuser<{ n: string }>(
        db().name,
        "select count(*) as n from webhook_deliveries where status = 'delivered' and attempts = 1",
      );
      expect(Number(log[0]!.n)).toBe(all.length);
    } finally {
      await Promise.all(writers.map((c) => c.end()));
      await local.stop();
      vi.unstubAllEnvs();
      resetWebhookSecretForTests();
    }
  });
});

describe('locally (npm start)', () => {
  it('the in-process relay puts events on the in-process bus and delivers signed webhooks to WEBHOOK_URL', async () => {
    vi.stubEnv('WEBHOOK_URL', receiver.url);
    vi.stubEnv('WEBHOOK_SECRET', secret);
    resetWebhookSecretForTests();
    const local = startLocalEvents({ stateDir: '/nonexistent-not-used', intervalMs: 20 });
    try {
      const [id] = await emit(randomUUID(), ['cloud_storage.connected']);
      for (let i = 0; i < 500 && receiver.acknowledged.length === 0; i += 1)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(receiver.acknowledged.map((p) => p.id)).toEqual([id]);
      expect(receiver.verificationFailures).toBe(0);
      expect(local.bus.events.map((e) => e.id)).toEqual([id]);
    } finally {
      await local.stop();
      vi.unstubAllEnvs();
      resetWebhookSecretForTests();
    }
  });
});
