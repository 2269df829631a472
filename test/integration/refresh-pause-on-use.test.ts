import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { InProcessQueue } from '#local/refresh-queue';
import type { Sandbox } from '#local/sandbox/index';
import { withProviderSession } from '#shared/cloud-storage/provider-session';
import {
  handleRefreshBatch,
  PAUSE_SECONDS,
  PAUSE_THRESHOLD,
  scheduleDueRefreshes,
} from '#shared/cloud-storage/refresh-fanout';
import { renewRejectedToken } from '#shared/cloud-storage/refresh-on-use';
import { type HttpProblem, ServiceUnavailable } from '#shared/errors';
import type { Provider } from '#shared/providers/types';
import { resetVaultForTests } from '#shared/vault/token-vault';
import { useTestDatabase, withClient } from '../support/db.ts';
import {
  clearRefreshTables,
  keyOf,
  newUserIds,
  readConnections,
  type SeedSpec,
  seedConnections,
  startRefreshSandbox,
  useLocalVaultKey,
} from '../support/refresh-rows.ts';
import { superuserUrl } from '../support/vault-rows.ts';

/**
 * Issue 21 finding 3 (remainder) with issue 17's provider-wide pause: refresh on use honours the pause the refresh
 * workers keep in the database. During a pause a token that is still valid serves the request; otherwise the
 * answer is 503 provider-backoff with Retry-After until the pause ends; the token endpoint is never called.
 * Token-call counts are exact, against the sandbox's token endpoints and a real PostgreSQL.
 */
const db = useTestDatabase();
let sandbox: Sandbox;

beforeAll(async () => {
  vi.stubEnv('DB_POOL_MAX', '30');
  useLocalVaultKey();
  sandbox = await startRefreshSandbox();
});
afterAll(async () => {
  await sandbox?.stop();
  vi.unstubAllEnvs();
  resetVaultForTests();
});
beforeEach(async () => {
  await clearRefreshTables(db().name);
  await sql('delete from provider_refresh_pauses');
  sandbox.control.reset();
});

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) =>
  withClient(superuserUrl(db().name), async (c) => (await c.query(text, values)).rows as T[]);

const refreshCalls = (provider: Provider) => sandbox.control.tokenCalls(provider, 'refresh_token');

const pause = (provider: Provider, interval: string) =>
  sql(
    `insert into provider_refresh_pauses (provider, consecutive_failures, last_error, paused_until)
     values ($1, $2, 'transient', now() + $3::interval)`,
    [provider, PAUSE_THRESHOLD, interval],
  );

async function seedOne(spec: Omit<SeedSpec, 'userId'>) {
  const [userId] = newUserIds(1);
  const [row] = await seedConnections(db().name, sandbox, [{ userId: userId!, ...spec }]);
  return row!;
}

const listRoot = (userId: string, provider: Provider) =>
  withProviderSession(userId, provider, (files) => files.listFolder({ pageSize: 5 }), {
    retryBaseMs: 0,
    deadline: Date.now() + 20_000,
  });

const failure = (promise: Promise<unknown>) => promise.then(() => undefined).catch((e: unknown) => e);

function expectPauseProblem(error: unknown, maxSeconds: number): number {
  expect(error).toBeInstanceOf(ServiceUnavailable);
  expect((error as HttpProblem).type).toMatch(/provider-backoff$/);
  const retryAfter = Number((error as HttpProblem).headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  return retryAfter;
}

describe('refresh on use honours the provider-wide pause', () => {
  it('a pause the workers set after repeated 5xx holds on use: 20 listings of an expired connection → 503, no token call', async () => {
    // The workers meet a failing Dropbox token endpoint PAUSE_THRESHOLD times in a row and pause Dropbox.
    const userIds = newUserIds(PAUSE_THRESHOLD);
    await seedConnections(
      db().name,
      sandbox,
      userIds.map((userId) => ({ userId, provider: 'dropbox' as const, expiresIn: '1 minute' })),
    );
    sandbox.control.failNextTokenCalls('dropbox', { kind: 'server_error' }, 1_000);
    const queue = new InProcessQueue();
    await scheduleDueRefreshes({ queue });
    await queue.drain((event) => handleRefreshBatch(event, { concurrency: 1 }), { maxRounds: 1 });
    const [paused] = await sql<{ paused: boolean }>(
      "select paused_until > now() as paused from provider_refresh_pauses where provider = 'dropbox'",
    );
    expect(paused?.paused).toBe(true);
    const callsBefore = refreshCalls('dropbox');
    expect(callsBefore).toBe(PAUSE_THRESHOLD);

    // A connection of someone else, expired, used during the pause; the endpoint works again meanwhile.
    sandbox.control.reset();
    const row = await seedOne({ provider: 'dropbox', expiresIn: '-1 minute' });
    const errors = await Promise.all(
      Array.from({ length: 20 }, () => failure(listRoot(row.userId, 'dropbox'))),
    );

    for (const error of errors) expectPauseProblem(error, PAUSE_SECONDS);
    expect(refreshCalls('dropbox')).toBe(0);
    expect(sandbox.control.apiCalls('dropbox')).toHaveLength(0);
    // Nothing was counted against the connection: the pause is the provider's, not this row's.
    const stored = (await readConnections(db().name)).get(keyOf(row))!;
    expect(stored).toMatchObject({ status: 'active', refresh_failure_count: 0, next_refresh_at: null });
  });

  it('during a pause a token that is still valid serves the request, without a token call', async () => {
    await pause('dropbox', '10 minutes');
    // Inside the refresh margin (refreshed ahead of time normally), still valid for minutes.
    const row = await seedOne({ provider: 'dropbox', expiresIn: '3 minutes' });

    const page = await listRoot(row.userId, 'dropbox');

    expect(page.files.length).toBeGreaterThan(0);
    expect(refreshCalls('dropbox')).toBe(0);
    expect(sandbox.control.apiCalls('dropbox', 'list_folder').at(-1)?.bearer).toBe(row.tokens.accessToken);
  });

  it('during a pause an expired token → 503 with Retry-After until the pause ends', async () => {
    await pause('onedrive', '10 minutes');
    const row = await seedOne({ provider: 'onedrive', expiresIn: '-1 minute' });

    const error = await failure(listRoot(row.userId, 'onedrive'));

    const retryAfter = expectPauseProblem(error, 600);
    expect(retryAfter).toBeGreaterThan(600 - 10);
    expect(refreshCalls('onedrive')).toBe(0);
  });

  it('during a pause a token the provider refused (401) is not renewed: 503, no token call', async () => {
    await pause('google_drive', '2 minutes');
    const row = await seedOne({ provider: 'google_drive', expiresIn: '30 minutes' });

    const error = await failure(renewRejectedToken(row.userId, 'google_drive', row.tokens.accessToken));

    expectPauseProblem(error, 120);
    expect(refreshCalls('google_drive')).toBe(0);
  });

  it('a pause that begins while a caller waits on the row lock holds for that caller', async () => {
    const row = await seedOne({ provider: 'dropbox', expiresIn: '-1 minute' });
    const holder = new pg.Client({ connectionString: superuserUrl(db().name) });
    await holder.connect();
    let waiting: Promise<unknown>;
    try {
      await holder.query('begin');
      await holder.query(
        'select 1 from user_cloud_storage_tokens where user_id = $1 and provider = $2 for update',
        [row.userId, 'dropbox'],
      );
      waiting = failure(listRoot(row.userId, 'dropbox'));
      // The caller passed the checks before the lock and now waits for the row.
      await expect
        .poll(
          async () =>
            (
              await sql<{ n: number }>(
                "select count(*)::int as n from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'",
                [db().name],
              )
            )[0]?.n,
          { timeout: 10_000, interval: 50 },
        )
        .toBe(1);
      await pause('dropbox', '5 minutes');
      await holder.query('commit');
    } finally {
      await holder.end();
    }

    expectPauseProblem(await waiting, 300);
    expect(refreshCalls('dropbox')).toBe(0);
  });

  it('a pause of another provider, or one that has ended, does not hold: one token call, refreshed', async () => {
    await pause('google_drive', '10 minutes');
    await sql(
      `insert into provider_refresh_pauses (provider, consecutive_failures, paused_until)
       values ('dropbox', 0, now() - interval '1 second')`,
    );
    const drive = await seedOne({ provider: 'dropbox', expiresIn: '-1 minute' });
    const onedrive = await seedOne({ provider: 'onedrive', expiresIn: '-1 minute' });

    expect((await listRoot(drive.userId, 'dropbox')).files.length).toBeGreaterThan(0);
    expect((await listRoot(onedrive.userId, 'onedrive')).files.length).toBeGreaterThan(0);

    expect(refreshCalls('dropbox')).toBe(1);
    expect(refreshCalls('onedrive')).toBe(1);
    expect(refreshCalls('google_drive')).toBe(0);
  });
});
