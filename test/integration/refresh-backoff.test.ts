import { describe, expect, it } from 'vitest';
import { withProviderSession } from '#shared/cloud-storage/provider-session';
import { refreshDueConnections } from '#shared/cloud-storage/scheduled-refresh';
import { BadGateway, type HttpProblem, ServiceUnavailable, TooManyRequests } from '#shared/errors';
import type { Provider } from '#shared/providers/types';
import {
  keyOf,
  newUserIds,
  readConnections,
  type SeedSpec,
  seedConnections,
  useRefreshSandbox,
} from '../support/refresh-rows.ts';

/**
 * Issue 21, findings 1 and 3, against a real PostgreSQL and the sandbox's token endpoints: a provider's
 * Retry-After (429 and 503) sets the row's backoff on both refresh paths, capped; refresh on use honours the
 * backoff, so one provider call per backoff window per connection whatever the concurrency.
 */
// Fifty requests of one user wait on one row lock, each on its own pooled connection.
const { db, sandbox } = useRefreshSandbox({ poolMax: 60 });

const refreshCalls = (provider: Provider) => sandbox.control.tokenCalls(provider, 'refresh_token');

async function seedOne(spec: Omit<SeedSpec, 'userId'>) {
  const [userId] = newUserIds(1);
  const [row] = await seedConnections(db().name, sandbox, [{ userId: userId!, ...spec }]);
  return row!;
}

async function storedRow(row: { userId: string; provider: Provider }) {
  return (await readConnections(db().name)).get(keyOf(row))!;
}

/** Seconds from now until the row's next_refresh_at. */
const windowSeconds = (nextRefreshAt: string | null) => (Date.parse(nextRefreshAt ?? '') - Date.now()) / 1000;

const listRoot = (userId: string, provider: Provider) =>
  withProviderSession(userId, provider, (files) => files.listFolder({ pageSize: 5 }), {
    retryBaseMs: 0,
    deadline: Date.now() + 20_000,
  });

const failure = (promise: Promise<unknown>) => promise.then(() => undefined).catch((e: unknown) => e);

describe('Retry-After from a token endpoint (finding 1)', () => {
  it.each([
    ['503', 'unavailable'],
    ['429', 'rate_limited'],
  ] as const)(
    'scheduled: a %s asking for 600 s sets the backoff to at least 600 s; nothing is retried sooner',
    async (_status, kind) => {
      const row = await seedOne({ provider: 'dropbox' });
      sandbox.control.failNextTokenCalls('dropbox', { kind, retryAfterSeconds: 600 });

      const first = await refreshDueConnections({ concurrency: 1 });

      expect(first).toMatchObject({ claimed: 1, transient: 1 });
      expect(refreshCalls('dropbox')).toBe(1);
      const stored = await storedRow(row);
      expect(stored.refresh_failure_count).toBe(1);
      expect(windowSeconds(stored.next_refresh_at)).toBeGreaterThan(595);
      expect(windowSeconds(stored.next_refresh_at)).toBeLessThanOrEqual(3600);

      const second = await refreshDueConnections({ concurrency: 1 });
      expect(second.claimed).toBe(0);
      expect(refreshCalls('dropbox')).toBe(1);
    },
  );

  it('scheduled: a Retry-After beyond the cap is honoured up to one hour', async () => {
    const row = await seedOne({ provider: 'onedrive' });
    sandbox.control.failNextTokenCalls('onedrive', { kind: 'unavailable', retryAfterSeconds: 86_400 });

    await refreshDueConnections({ concurrency: 1 });

    expect(refreshCalls('onedrive')).toBe(1);
    const window = windowSeconds((await storedRow(row)).next_refresh_at);
    expect(window).toBeGreaterThan(3590);
    expect(window).toBeLessThanOrEqual(3600);
  });

  it('on use: a 503 asking for 600 s → 503 with Retry-After 600, and the same backoff on the row', async () => {
    const row = await seedOne({ provider: 'dropbox', expiresIn: '-1 minute' });
    sandbox.control.failNextTokenCalls('dropbox', { kind: 'unavailable', retryAfterSeconds: 600 });

    const error = await failure(listRoot(row.userId, 'dropbox'));

    expect(error).toBeInstanceOf(ServiceUnavailable);
    expect((error as HttpProblem).headers['retry-after']).toBe('600');
    expect(refreshCalls('dropbox')).toBe(1);
    const stored = await storedRow(row);
    expect(stored).toMatchObject({ status: 'active', refresh_failure_count: 1 });
    expect(windowSeconds(stored.next_refresh_at)).toBeGreaterThan(595);
  });

  it('on use: a 429 asking for 600 s → 429 with Retry-After 600', async () => {
    const row = await seedOne({ provider: 'google_drive', expiresIn: '-1 minute' });
    sandbox.control.failNextTokenCalls('google_drive', { kind: 'rate_limited', retryAfterSeconds: 600 });

    const error = await failure(listRoot(row.userId, 'google_drive'));

    expect(error).toBeInstanceOf(TooManyRequests);
    expect((error as HttpProblem).headers['retry-after']).toBe('600');
    expect(refreshCalls('google_drive')).toBe(1);
    expect(windowSeconds((await storedRow(row)).next_refresh_at)).toBeGreaterThan(595);
  });
});

describe('refresh on use honours the backoff (finding 3)', () => {
  it('50 concurrent listings of one expired connection against a failing token endpoint: one token call', async () => {
    const row = await seedOne({ provider: 'dropbox', expiresIn: '-1 minute' });
    sandbox.control.failNextTokenCalls('dropbox', { kind: 'server_error' }, 1_000);

    const errors = await Promise.all(
      Array.from({ length: 50 }, () => failure(listRoot(row.userId, 'dropbox'))),
    );

    expect(refreshCalls('dropbox')).toBe(1);
    // The caller whose refresh failed gets the failure; everyone else the backoff, with how long it lasts.
    expect(errors.filter((e) => e instanceof BadGateway)).toHaveLength(1);
    const waiting = errors.filter((e) => e instanceof ServiceUnavailable) as ServiceUnavailable[];
    expect(waiting).toHaveLength(49);
    const stored = await storedRow(row);
    expect(stored.refresh_failure_count).toBe(1);
    const window = Math.ceil(windowSeconds(stored.next_refresh_at));
    for (const e of waiting) {
      expect(e.type).toMatch(/provider-backoff$/);
      const retryAfter = Number(e.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(window + 1);
    }

    // A second later, ten more: still inside the window, still no call and no extra failure counted.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const later = await Promise.all(
      Array.from({ length: 10 }, () => failure(listRoot(row.userId, 'dropbox'))),
    );
    expect(later.every((e) => e instanceof ServiceUnavailable)).toBe(true);
    expect(refreshCalls('dropbox')).toBe(1);
    expect((await storedRow(row)).refresh_failure_count).toBe(1);
    expect(sandbox.control.apiCalls('dropbox')).toHaveLength(0);
  });

  it('within the window a token that is still valid serves the request, without a token call', async () => {
    const row = await seedOne({ provider: 'dropbox', expiresIn: '3 minutes', nextRefresh: '21 minutes' });

    const page = await listRoot(row.userId, 'dropbox');

    expect(page.files.length).toBeGreaterThan(0);
    expect(refreshCalls('dropbox')).toBe(0);
    expect(sandbox.control.apiCalls('dropbox', 'list_folder').at(-1)?.bearer).toBe(row.tokens.accessToken);
  });

  it('within the window an expired token → 503 with Retry-After until the window ends, without a token call', async () => {
    const row = await seedOne({
      provider: 'onedrive',
      expiresIn: '-1 minute',
      nextRefresh: '21 minutes',
      failureCount: 3,
    });

    const error = await failure(listRoot(row.userId, 'onedrive'));

    expect(error).toBeInstanceOf(ServiceUnavailable);
    const retryAfter = Number((error as HttpProblem).headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(21 * 60 - 10);
    expect(retryAfter).toBeLessThanOrEqual(21 * 60);
    expect(refreshCalls('onedrive')).toBe(0);
    expect(await storedRow(row)).toMatchObject({ refresh_failure_count: 3, status: 'active' });
  });

  it('once the window has passed the next use calls the token endpoint again (and recovers)', async () => {
    const row = await seedOne({
      provider: 'google_drive',
      expiresIn: '-1 minute',
      nextRefresh: '-1 second',
      failureCount: 2,
    });

    const page = await listRoot(row.userId, 'google_drive');

    expect(page.files.length).toBeGreaterThan(0);
    expect(refreshCalls('google_drive')).toBe(1);
    expect(await storedRow(row)).toMatchObject({ refresh_failure_count: 0, next_refresh_at: null });
  });
});
