import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { InProcessQueue } from '#local/refresh-queue';
import {
  handleRefreshBatch,
  PAUSE_THRESHOLD,
  type RefreshMessage,
  scheduleDueRefreshes,
  type WorkerResult,
} from '#shared/cloud-storage/refresh-fanout';
import { PROVIDERS } from '#shared/providers/types';
import { newUserIds, type SeedSpec, seedConnections, useRefreshSandbox } from '../support/refresh-rows.ts';

/**
 * The refresh fan-out (issue 17): the scheduler claims due ids and queues them; SQS-triggered workers refresh
 * with the lock-and-re-check core, so duplicated and redelivered messages and crashed batches never refresh a
 * connection twice; a provider that keeps failing is paused for every worker.
 */
const { db, sandbox, sql } = useRefreshSandbox({ poolMax: 24, alsoClear: ['provider_refresh_pauses'] });

function specs(count: number, extra: Partial<SeedSpec> = {}): SeedSpec[] {
  const users = newUserIds(Math.ceil(count / PROVIDERS.length));
  return Array.from({ length: count }, (_, i) => ({
    userId: users[Math.floor(i / PROVIDERS.length)]!,
    provider: PROVIDERS[i % PROVIDERS.length]!,
    ...extra,
  }));
}

/** Refresh-token grants the sandbox answered. */
const refreshCalls = () =>
  sandbox.control.tokenRequests().filter((r) => r.grantType === 'refresh_token').length;

/** Rows never refreshed, or still claimed: none once the queue is drained. */
const unfinished = async () =>
  (
    await sql<{ n: number }>(
      'select count(*)::int as n from user_cloud_storage_tokens where last_refreshed_at is null or refresh_claimed_until is not null',
    )
  )[0]!.n;

describe('refresh fan-out', { timeout: 600_000 }, () => {
  it('5,000 due connections, 4 concurrent workers, duplicated and redelivered messages: each refreshed exactly once', async () => {
    const seeded = await seedConnections(db().name, sandbox, specs(5_000));
    const queue = new InProcessQueue();
    const scheduled = await scheduleDueRefreshes({ queue });
    expect(scheduled.claimed).toBe(5_000);
    expect(scheduled.batches).toBe(500);
    // A second scheduler run finds nothing: the claims' leases keep queued ids from being sent again.
    expect((await scheduleDueRefreshes({ queue })).claimed).toBe(0);

    // Standard SQS delivers at least once: every 7th message twice more, as duplicates on the queue.
    const bodies = queue.receive(10_000).map((r) => r.body);

    const fresh = new InProcessQueue();
    for (const [i, body] of bodies.entries()) {
      fresh.enqueue(body);
      if (i % 7 === 0) fresh.enqueue(body);
      if (i % 7 === 0) fresh.enqueue(body);
    }
    const results = new Map<WorkerResult, number>();
    const stats = await fresh.drain(
      (event) =>
        handleRefreshBatch(event, {
          concurrency: 4,
          onResult: (_m, r) => results.set(r, (results.get(r) ?? 0) + 1),
        }),
      { workers: 4 },
    );
    expect(stats.crashed).toBe(0);
    expect(fresh.depth).toBe(0);
    expect(results.get('refreshed')).toBe(5_000);
    expect((results.get('skipped_not_due') ?? 0) + (results.get('skipped_locked') ?? 0)).toBe(
      fresh.sent - 5_000,
    );

    // Every row refreshed, and exactly as many provider calls as rows: each exactly once.
    expect(await unfinished()).toBe(0);
    expect(refreshCalls()).toBe(seeded.length);
  });

  it('a worker crash mid-batch: only the unfinished rows are refreshed on redelivery', async () => {
    await seedConnections(db().name, sandbox, specs(30));
    const queue = new InProcessQueue();
    await scheduleDueRefreshes({ queue });
    const done: string[] = [];
    let crashes = 0;
    const stats = await queue.drain(
      async (event) => {
        // The first batch dies after four of its ten records have committed.
        const crashing = crashes === 0;
        let finished = 0;
        return handleRefreshBatch(event, {
          concurrency: 1,
          onResult: (message: RefreshMessage | undefined, result) => {
            if (result === 'refreshed') done.push(message!.id);
            finished += 1;
            if (crashing && finished === 4) {
              crashes += 1;
              throw new Error('worker killed mid-batch');
            }
          },
        });
      },
      { workers: 1 },
    );
    expect(stats.crashed).toBe(1);
    expect(queue.depth).toBe(0);
    // Every row refreshed exactly once: the four finished before the crash came back and were skipped.
    expect(done).toHaveLength(30);
    expect(new Set(done).size).toBe(30);
    expect(refreshCalls()).toBe(30);
    expect(await unfinished()).toBe(0);
  });

  it('repeated 5xx from one provider pause it for every worker; the others go on; the pause lives in the database', async () => {
    await seedConnections(db().name, sandbox, specs(30));
    sandbox.control.failNextTokenCalls('dropbox', { kind: 'server_error' }, 100);
    const queue = new InProcessQueue();
    await scheduleDueRefreshes({ queue });
    const results: Array<[string, WorkerResult]> = [];
    await queue.drain(
      (event) =>
        handleRefreshBatch(event, {
          concurrency: 1,
          onResult: (m, r) => results.push([m!.provider, r]),
        }),
      { workers: 1, batchSize: 3, maxRounds: 60 },
    );
    const dropbox = results.filter(([p]) => p === 'dropbox').map(([, r]) => r);
    expect(dropbox.filter((r) => r === 'transient')).toHaveLength(PAUSE_THRESHOLD);
    expect(dropbox).toContain('paused');
    expect(results.filter(([p, r]) => p !== 'dropbox' && r === 'refreshed')).toHaveLength(20);
    const [pause] = await sql<{ paused: boolean; consecutive_failures: number }>(
      "select paused_until > now() as paused, consecutive_failures from provider_refresh_pauses where provider = 'dropbox'",
    );
    expect(pause).toEqual({ paused: true, consecutive_failures: PAUSE_THRESHOLD });
    // The scheduler skips the paused provider too.
    await sql(
      "update user_cloud_storage_tokens set refresh_claimed_until = null, next_refresh_at = null where provider = 'dropbox'",
    );
    const again = await scheduleDueRefreshes({ queue: new InProcessQueue() });
    expect(again.pausedProviders).toEqual(['dropbox']);
    expect(again.claimed).toBe(0);
  });

  it('a success clears the failures counted for its provider: counted before the batch, or earlier in it', async () => {
    await seedConnections(db().name, sandbox, specs(9));
    // OneDrive arrives with failures counted by another worker; Google's first token call fails in this run.
    await sql(
      "insert into provider_refresh_pauses (provider, consecutive_failures, last_error) values ('onedrive', 2, 'transient')",
    );
    sandbox.control.failNextTokenCalls('google_drive', { kind: 'server_error' }, 1);
    const queue = new InProcessQueue();
    await scheduleDueRefreshes({ queue });
    const results: Array<[string, WorkerResult]> = [];
    await queue.drain(
      (event) =>
        handleRefreshBatch(event, { concurrency: 1, onResult: (m, r) => results.push([m!.provider, r]) }),
      { workers: 1, batchSize: 9, maxRounds: 5 },
    );
    expect(results.filter(([p, r]) => p === 'google_drive' && r === 'transient')).toHaveLength(1);
    expect(results.filter(([, r]) => r === 'refreshed')).toHaveLength(8);
    const pauses = await sql<{ provider: string; consecutive_failures: number; paused_until: Date | null }>(
      'select provider, consecutive_failures, paused_until from provider_refresh_pauses order by provider',
    );
    // Google's failure was followed by a success in the same batch; OneDrive's by a success in this batch.
    expect(pauses.map((p) => [p.provider, p.consecutive_failures, p.paused_until])).toEqual([
      ['google_drive', 0, null],
      ['onedrive', 0, null],
    ]);
  });
  it('a record costs four round trips and its batch none more; a pause set mid-batch holds for the rest of it', async () => {
    await seedConnections(
      db().name,
      sandbox,
      newUserIds(6).map((userId) => ({ userId, provider: 'dropbox' as const })),
    );
    const queue = new InProcessQueue();
    await scheduleDueRefreshes({ queue });
    const records = queue.receive(10);
    expect(records).toHaveLength(6);
    const results: WorkerResult[] = [];
    const onResult = (_m: RefreshMessage | undefined, r: WorkerResult) => results.push(r);

    // The pause is read with the row lock: BEGIN, lock + re-check + pause, write, COMMIT.
    const spy = vi.spyOn(pg.Client.prototype, 'query');
    const one = await handleRefreshBatch({ Records: records.slice(0, 1) }, { concurrency: 1, onResult });
    const statements = spy.mock.calls.map(([q]) =>
      typeof q === 'string' ? q : (q as { text: string }).text,
    );
    spy.mockRestore();
    expect(one.batchItemFailures).toEqual([]);
    expect(results).toEqual(['refreshed']);
    expect(statements).toHaveLength(4);
    expect(statements[0]).toBe('BEGIN');
    expect(statements[1]).toMatch(/provider_refresh_pauses[\s\S]*for update skip locked/);
    expect(statements[2]).toMatch(/^update user_cloud_storage_tokens/);
    expect(statements[3]).toBe('COMMIT');

    // While this batch's first token call is in flight, another worker pauses Dropbox: the batch's other
    // records come back for later, without a token call.
    sandbox.control.failNextTokenCalls('dropbox', { kind: 'delay', ms: 1_000 }, 1);
    const calls = refreshCalls();
    const rest = handleRefreshBatch({ Records: records.slice(1) }, { concurrency: 1, onResult });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sql(
      "insert into provider_refresh_pauses (provider, consecutive_failures, last_error, paused_until) values ('dropbox', 5, 'transient', now() + interval '1 minute')",
    );
    const failed = (await rest).batchItemFailures.map((f) => f.itemIdentifier);
    expect(results.slice(1)).toEqual(['refreshed', 'paused', 'paused', 'paused', 'paused']);
    expect(failed.sort()).toEqual(
      records
        .slice(2)
        .map((r) => r.messageId)
        .sort(),
    );
    expect(refreshCalls()).toBe(calls + 1);
  });
});
