import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '#shared/db/tenant';
import { recordEvent } from '#shared/events/outbox';
import type { BenchContext, Settings } from '../../bench/lib/context.ts';
import { webhookLatency } from '../../bench/lib/sections/webhooks.ts';
import type { BenchUser } from '../../bench/lib/stack.ts';
import { insertUsers, useTestDatabase } from '../support/db.ts';
import { asSuperuser } from './resources/helpers.ts';

/**
 * The bench's webhook section (bench/lib/sections/webhooks.ts) on a real PostgreSQL: what it reports is what its
 * receiver got. In the full bench the outbox already holds the earlier sections' events (OAuth confirms,
 * documents) when the section starts; the local loop delivers those to the same receiver first. They must not
 * count as the section's own deliveries (issue 20: 49 of 50 reported because the wait stopped as soon as the
 * receiver had as many requests as the section had events, earlier ones included).
 */
const db = useTestDatabase();
const user = randomUUID();
const earlierUser = randomUUID();
let stateDir: string;

beforeAll(async () => {
  await insertUsers(db().appUrl, user, earlierUser);
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'bench-webhooks-'));
});
afterAll(async () => {
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

const context = (webhookEvents: number): BenchContext => ({
  settings: { webhookEvents } as Settings,
  workDir: stateDir,
  log: () => undefined,
  quick: true,
});

describe('bench: event commit → webhook delivered', () => {
  it('waits for every one of its own events; earlier events delivered to the receiver are counted apart', async () => {
    const earlier = 8;
    for (let i = 0; i < earlier; i += 1) {
      await withTenant(earlierUser, (tx) =>
        recordEvent(tx, {
          type: 'cloud_storage.connected',
          subject: { type: 'cloud_connection', id: randomUUID() },
        }),
      );
    }
    const events = 5;
    const result = await webhookLatency(
      context(events),
      { userId: user } as BenchUser,
      path.join(stateDir, 'events'),
    );

    expect(result).toMatchObject({
      events,
      delivered: events,
      invalidSignatures: 0,
      duplicates: 0,
      earlierEvents: earlier,
    });
    expect(result.latencyMs.n).toBe(events);
    // The wait is derived from the relay's period, not a fixed 30 s.
    expect(result.waitPeriods).toBeGreaterThan(0);
    expect(result.waitMs).toBe((result.waitPeriods ?? 0) * result.relayIntervalMs);
    // The receiver's count agrees with the delivery log: each of the section's events delivered once.
    const log = await asSuperuser<{ status: string; attempts: number }>(
      db().name,
      'select d.status, d.attempts from webhook_deliveries d join events e on e.id = d.event_id where e.user_id = $1',
      [user],
    );
    expect(log).toEqual(Array.from({ length: events }, () => ({ status: 'delivered', attempts: 1 })));
  });
});
