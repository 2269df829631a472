import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { allowSlowRefresh, lockConnection } from '#shared/cloud-storage/connection-store';
import { expiresSoon, refreshLockedConnection } from '#shared/cloud-storage/refresh-core';
import { countDueConnections, refreshDueConnections } from '#shared/cloud-storage/scheduled-refresh';
import { withTenant } from '#shared/db/tenant';
import { PROVIDERS, type Provider } from '#shared/providers/types';
import { withClient } from '../support/db.ts';
import {
  keyOf,
  newUserIds,
  openStored,
  readConnections,
  type SeedSpec,
  seedConnections,
  useRefreshSandbox,
} from '../support/refresh-rows.ts';
import { superuserUrl } from '../support/vault-rows.ts';

/**
 * The scheduled token refresh against a real PostgreSQL (as brand_refresher) and the loopback provider sandbox:
 * exactly-once under concurrent passes and on-use refresh, outcomes per failure kind, the time budget, and
 * recovery after a pass died between the provider's answer and its commit (SECURITY.md 36–40).
 */
// Two passes run side by side in this process, each with up to 8 connections, on the one refresher pool.
const { db, sandbox } = useRefreshSandbox({ poolMax: 24 });
beforeEach(() => {
  vi.stubEnv('PROVIDER_TOKEN_TIMEOUT_MS', undefined);
});

const refreshCalls = (provider?: Provider) =>
  sandbox.control.tokenRequests(provider).filter((r) => r.grantType === 'refresh_token');

/** What the on-use path does (ARCHITECTURE.md, Refresh): tenant transaction, row lock, re-check, refresh. */
function refreshOnUse(userId: string, provider: Provider): Promise<string> {
  return withTenant(userId, async (tx) => {
    await allowSlowRefresh(tx);
    const row = await lockConnection(tx, userId, provider);
    if (!row || !expiresSoon(row.token_expires_at)) return 'fresh';
    return (await refreshLockedConnection(tx, row)).kind;
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const specsFor = (count: number, extra: Partial<SeedSpec> = {}): SeedSpec[] => {
  const users = newUserIds(Math.ceil(count / PROVIDERS.length));
  return Array.from({ length: count }, (_, i) => ({
    userId: users[Math.floor(i / PROVIDERS.length)]!,
    provider: PROVIDERS[i % PROVIDERS.length]!,
    ...extra,
  }));
};

describe('scheduled refresh: exactly once', () => {
  it('two passes started at the same moment over 500 due rows refresh each row exactly once', async () => {
    const seeded = await seedConnections(db().name, sandbox, specsFor(500));

    const [a, b] = await Promise.all([
      refreshDueConnections({ concurrency: 8, batchSize: 50 }),
      refreshDueConnections({ concurrency: 8, batchSize: 50 }),
    ]);

    expect(a.refreshed + b.refreshed).toBe(500);
    expect(a.errors + b.errors + a.transient + b.transient + a.config + b.config).toBe(0);
    const calls = refreshCalls();
    expect(calls).toHaveLength(500);
    // Every original refresh token was presented exactly once.
    const presented = new Map<string, number>();
    for (const call of calls) {
      presented.set(call.params.refresh_token!, (presented.get(call.params.refresh_token!) ?? 0) + 1);
    }
    expect(presented.size).toBe(500);
    for (const row of seeded) expect(presented.get(row.tokens.refreshToken!)).toBe(1);

    const stored = await readConnections(db().name);
    for (const row of seeded) {
      const now = stored.get(keyOf(row))!;
      expect(now.last_refreshed_at).not.toBeNull();
      const tokens = await openStored(now);
      expect(tokens.accessToken).not.toBe(row.tokens.accessToken);
      expect(sandbox.control.tokenStatus(row.provider, tokens.accessToken)).toBe('active');
      expect(sandbox.control.tokenStatus(row.provider, tokens.refreshToken!)).toBe('active');
    }
    expect(await countDueConnections()).toEqual({ google_drive: 0, onedrive: 0, dropbox: 0 });
  }, 120_000);

  it('a scheduled pass holding the row makes a concurrent on-use refresh wait, re-check and not call', async () => {
    const [row] = await seedConnections(db().name, sandbox, [
      { userId: newUserIds(1)[0]!, provider: 'google_drive', expiresIn: '1 minute' },
    ]);
    sandbox.control.configure('google_drive', { tokenLatencyMs: 400 });

    const scheduled = refreshDueConnections();
    await until(() => refreshCalls().length === 1, 'the scheduled refresh to reach the provider');
    const onUse = await refreshOnUse(row!.userId, 'google_drive');

    expect(onUse).toBe('fresh');
    expect((await scheduled).refreshed).toBe(1);
    expect(refreshCalls()).toHaveLength(1);
  });

  it('an on-use refresh holding the row makes a scheduled pass skip it: one provider call', async () => {
    const [row] = await seedConnections(db().name, sandbox, [
      { userId: newUserIds(1)[0]!, provider: 'onedrive', expiresIn: '1 minute' },
    ]);
    sandbox.control.configure('onedrive', { tokenLatencyMs: 400 });

    const onUse = refreshOnUse(row!.userId, 'onedrive');
    await until(() => refreshCalls().length === 1, 'the on-use refresh to reach the provider');
    const scheduled = await refreshDueConnections();

    expect(await onUse).toBe('refreshed');
    expect(scheduled.refreshed).toBe(0);
    expect(refreshCalls()).toHaveLength(1);
    // Not due any more once the on-use refresh committed.
    expect((await refreshDueConnections()).claimed).toBe(0);
    expect(refreshCalls()).toHaveLength(1);
  });

  it('a scheduled and an on-use refresh started at the same moment: one provider call', async () => {
    const rows = await seedConnections(
      db().name,
      sandbox,
      PROVIDERS.map((provider) => ({ userId: newUserIds(1)[0]!, provider, expiresIn: '1 minute' })),
    );
    for (const provider of PROVIDERS) sandbox.control.configure(provider, { tokenLatencyMs: 50 });

    const [scheduled, ...onUse] = await Promise.all([
      refreshDueConnections(),
      ...rows.map((r) => refreshOnUse(r.userId, r.provider)),
    ]);

    expect(refreshCalls()).toHaveLength(3);
    expect(scheduled.refreshed + onUse.filter((o) => o === 'refreshed').length).toBe(3);
    expect(scheduled.errors + scheduled.transient).toBe(0);
  });

  it('a row refreshed on use between the claim and the row lock is re-checked and skipped', async () => {
    const user = newUserIds(1)[0]!;
    // Claimed together (one batch), refreshed one after the other (concurrency 1): Google first (earlier expiry).
    await seedConnections(db().name, sandbox, [
      { userId: user, provider: 'google_drive', expiresIn: '1 minute' },
      { userId: user, provider: 'dropbox', expiresIn: '2 minutes' },
    ]);
    sandbox.control.configure('google_drive', { tokenLatencyMs: 1_000 });

    const scheduled = refreshDueConnections({ concurrency: 1 });
    await until(() => refreshCalls('google_drive').length === 1, 'the scheduled Google refresh');
    // While the pass waits on Google, the Dropbox row it already claimed is refreshed on use and committed.
    expect(await refreshOnUse(user, 'dropbox')).toBe('refreshed');
    const summary = await scheduled;

    expect(summary.claimed).toBe(2);
    expect(summary.refreshed).toBe(1);
    expect(summary.skipped).toBe(1);
    expect(refreshCalls('dropbox')).toHaveLength(1);
  });

  it('a claimed row still locked by an on-use refresh when the pass reaches it is skipped', async () => {
    const user = newUserIds(1)[0]!;
    await seedConnections(db().name, sandbox, [
      { userId: user, provider: 'google_drive', expiresIn: '1 minute' },
      { userId: user, provider: 'dropbox', expiresIn: '2 minutes' },
    ]);
    sandbox.control.configure('google_drive', { tokenLatencyMs: 600 });
    sandbox.control.configure('dropbox', { tokenLatencyMs: 2_000 });

    const scheduled = refreshDueConnections({ concurrency: 1 });
    await until(() => refreshCalls('google_drive').length === 1, 'the scheduled Google refresh');
    const onUse = refreshOnUse(user, 'dropbox');
    const summary = await scheduled;

    expect(await onUse).toBe('refreshed');
    expect(summary).toMatchObject({ claimed: 2, refreshed: 1, skipped: 1 });
    expect(refreshCalls('dropbox')).toHaveLength(1);
  });
});

describe('scheduled refresh: which rows and which outcomes', () => {
  it('a mixed batch ends in the right states; rows not due are untouched', async () => {
    vi.stubEnv('PROVIDER_TOKEN_TIMEOUT_MS', '1000');
    const [u1, u2, u3, u4, u5] = newUserIds(5) as [string, string, string, string, string];
    // Claim order: recently used rows by expiry, then idle ones. Per provider, the failing rows come first so
    // the sandbox's queued failures hit exactly them (concurrency 1 keeps the order).
    const due: Record<string, SeedSpec> = {
      googleServerError: { userId: u1, provider: 'google_drive', expiresIn: '-5 minutes' },
      onedriveThrottled: { userId: u1, provider: 'onedrive', expiresIn: '1 minute' },
      dropboxRevoked: { userId: u1, provider: 'dropbox', expiresIn: '2 minutes' },
      googleTimeout: { userId: u2, provider: 'google_drive', expiresIn: '3 minutes', failureCount: 1 },
      onedriveRotates: { userId: u2, provider: 'onedrive', expiresIn: '4 minutes' },
      dropboxRecovers: { userId: u2, provider: 'dropbox', expiresIn: '5 minutes', failureCount: 2 },
      googleOk: { userId: u3, provider: 'google_drive', expiresIn: '6 minutes', lastRefreshed: '-1 hour' },
      // Idle for a week: refresh token exercised 8 days ago / connected 8 days ago and never refreshed.
      onedriveIdle: {
        userId: u3,
        provider: 'onedrive',
        expiresIn: '-8 days',
        lastUsed: null,
        lastRefreshed: '-8 days',
        connected: '-30 days',
      },
      onedriveIdleNeverRefreshed: {
        userId: u5,
        provider: 'onedrive',
        expiresIn: '50 minutes',
        lastUsed: '-3 days',
        connected: '-8 days',
      },
    };
    const notDue: Record<string, SeedSpec> = {
      fresh: { userId: u3, provider: 'dropbox', expiresIn: '2 hours', lastRefreshed: '-1 hour' },
      needsReauth: { userId: u4, provider: 'google_drive', status: 'needs_reauth', expiresIn: '-1 minute' },
      notUsedRecently: { userId: u4, provider: 'onedrive', expiresIn: '1 minute', lastUsed: '-2 days' },
      backingOff: { userId: u4, provider: 'dropbox', expiresIn: '-1 minute', nextRefresh: '10 minutes' },
      idleSixDays: {
        userId: u5,
        provider: 'google_drive',
        expiresIn: '-6 days',
        lastUsed: null,
        connected: '-6 days',
      },
      neverUsedExpiring: { userId: u5, provider: 'dropbox', expiresIn: '1 minute', lastUsed: null },
    };
    const seeded = await seedConnections(db().name, sandbox, [
      ...Object.values(due),
      ...Object.values(notDue),
    ]);
    const original = new Map(seeded.map((s) => [keyOf(s), s.tokens]));
    const before = await readConnections(db().name);
    sandbox.control.failNextTokenCalls('google_drive', { kind: 'server_error' });
    sandbox.control.failNextTokenCalls('google_drive', { kind: 'delay', ms: 3_000 });
    sandbox.control.failNextTokenCalls('onedrive', { kind: 'rate_limited', retryAfterSeconds: 600 });
    sandbox.control.failNextTokenCalls('dropbox', { kind: 'invalid_grant' });

    const summary = await refreshDueConnections({ concurrency: 1 });

    expect(summary).toMatchObject({
      claimed: 9,
      refreshed: 5,
      rotated: 3,
      transient: 3,
      needsReauth: 1,
      config: 0,
      skipped: 0,
      errors: 0,
      stopReason: 'done',
      stoppedByBudget: false,
    });
    expect(summary.byProvider.google_drive).toMatchObject({ refreshed: 1, transient: 2 });
    expect(summary.byProvider.onedrive).toMatchObject({ refreshed: 3, rotated: 3, transient: 1 });
    expect(summary.byProvider.dropbox).toMatchObject({ refreshed: 1, needsReauth: 1 });

    const after = await readConnections(db().name);
    const row = (spec: SeedSpec) => after.get(keyOf(spec))!;
    const unchangedTokens = async (spec: SeedSpec) =>
      expect(await openStored(row(spec))).toEqual(original.get(keyOf(spec)));
    const nowMs = Date.now();

    // Transient: still active, tokens kept, failure counted, pushed back; Retry-After honoured.
    for (const [spec, code, count] of [
      [due.googleServerError!, 'server_error', 1],
      [due.googleTimeout!, 'timeout', 2],
    ] as const) {
      expect(row(spec)).toMatchObject({ status: 'active', last_error: code, refresh_failure_count: count });
      expect(Date.parse(row(spec).next_refresh_at!)).toBeGreaterThan(nowMs - 5_000);
      expect(row(spec).last_refreshed_at).toBeNull();
      await unchangedTokens(spec);
    }
    expect(row(due.onedriveThrottled!)).toMatchObject({ status: 'active', refresh_failure_count: 1 });
    expect(Date.parse(row(due.onedriveThrottled!).next_refresh_at!)).toBeGreaterThanOrEqual(nowMs + 590_000);
    await unchangedTokens(due.onedriveThrottled!);

    // invalid_grant: needs_reauth with an audit event, tokens kept for nothing but not deleted.
    expect(row(due.dropboxRevoked!)).toMatchObject({
      status: 'needs_reauth',
      last_error: 'invalid_grant',
      next_refresh_at: null,
    });
    const audit = await withClient(superuserUrl(db().name), async (c) => {
      const { rows } = await c.query<{
        user_id: string;
        action: string;
        resource_id: string;
        metadata: unknown;
      }>('select user_id, action, resource_id, metadata from audit_log');
      return rows;
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      user_id: u1,
      action: 'cloud_storage.refresh_failed',
      resource_id: 'dropbox',
      metadata: { reason: 'needs_reauth' },
    });

    // Refreshed: new access token, failure state reset; Microsoft's rotated refresh token replaced the old one.
    for (const spec of [
      due.onedriveRotates!,
      due.dropboxRecovers!,
      due.googleOk!,
      due.onedriveIdle!,
      due.onedriveIdleNeverRefreshed!,
    ]) {
      const stored = row(spec);
      expect(stored).toMatchObject({
        status: 'active',
        refresh_failure_count: 0,
        next_refresh_at: null,
        last_error: null,
      });
      expect(Date.parse(stored.last_refreshed_at!)).toBeGreaterThan(nowMs - 60_000);
      expect(Date.parse(stored.token_expires_at!)).toBeGreaterThan(nowMs + 30 * 60_000);
      const tokens = await openStored(stored);
      const old = original.get(keyOf(spec))!;
      expect(tokens.accessToken).not.toBe(old.accessToken);
      expect(sandbox.control.tokenStatus(spec.provider, tokens.accessToken)).toBe('active');
      if (spec.provider === 'onedrive') expect(tokens.refreshToken).not.toBe(old.refreshToken);
      else expect(tokens.refreshToken).toBe(old.refreshToken);
      expect(sandbox.control.tokenStatus(spec.provider, tokens.refreshToken!)).toBe('active');
    }

    // Not due: byte for byte what was there, and never presented to a provider.
    const presented = new Set(refreshCalls().map((r) => r.params.refresh_token));
    for (const spec of Object.values(notDue)) {
      expect(row(spec)).toEqual(before.get(keyOf(spec)));
      expect(presented.has(original.get(keyOf(spec))!.refreshToken)).toBe(false);
    }
    expect(refreshCalls()).toHaveLength(9);
  }, 60_000);

  it('a provider rejecting our client credentials pauses that provider for the run; the others go on', async () => {
    const users = newUserIds(3);
    const seeded = await seedConnections(db().name, sandbox, [
      ...users.map((userId, i) => ({
        userId,
        provider: 'google_drive' as const,
        expiresIn: `${i - 10} minutes`,
      })),
      ...users.slice(0, 2).map((userId) => ({ userId, provider: 'dropbox' as const })),
    ]);
    sandbox.control.failNextTokenCalls('google_drive', { kind: 'invalid_client' });

    const summary = await refreshDueConnections({ concurrency: 1 });

    expect(summary).toMatchObject({
      claimed: 5,
      config: 1,
      refreshed: 2,
      deferred: 2,
      pausedProviders: ['google_drive'],
      configCodes: ['invalid_client'],
    });
    expect(refreshCalls('google_drive')).toHaveLength(1);
    const after = await readConnections(db().name);
    for (const row of seeded.filter((s) => s.provider === 'google_drive')) {
      expect(after.get(keyOf(row))).toMatchObject({ status: 'active', last_refreshed_at: null });
      expect(await openStored(after.get(keyOf(row))!)).toEqual(row.tokens);
    }
    expect(after.get(keyOf(seeded[0]!))!.last_error).toBe('invalid_client');
    expect(await countDueConnections()).toEqual({ google_drive: 3, onedrive: 0, dropbox: 0 });
  });

  it('purges expired OAuth attempts and unconfirmed connections once per run', async () => {
    const [user] = newUserIds(1);
    await seedConnections(db().name, sandbox, [{ userId: user!, provider: 'dropbox', expiresIn: '2 hours' }]);
    await withClient(superuserUrl(db().name), async (c) => {
      for (const expires of ['-1 minute', '10 minutes']) {
        await c.query(
          `insert into oauth_states (state_hash, user_id, provider, code_verifier, redirect_uri, expires_at)
           values ($1, $2, 'dropbox', $3, 'http://localhost/cb', now() + $4::interval)`,
          [randomBytes(32), user, 'v'.repeat(43), expires],
        );
      }
    });

    const summary = await refreshDueConnections();

    expect(summary.purgedOAuthRows).toBe(1);
    const left = await withClient(superuserUrl(db().name), async (c) => {
      const { rows } = await c.query<{ n: number }>('select count(*)::int as n from oauth_states');
      return rows[0]!.n;
    });
    expect(left).toBe(1);
  });
});

describe('scheduled refresh: time budget and crashes', () => {
  it('stops starting rows when the budget reserve is reached; the next run does the rest', async () => {
    const seeded = await seedConnections(db().name, sandbox, specsFor(30));
    for (const provider of PROVIDERS) sandbox.control.configure(provider, { tokenLatencyMs: 300 });
    const started = Date.now();
    // 1.5 s above the 20 s reserve; 30 rows at 300 ms with 2 workers would need 4.5 s.
    const remainingTimeMs = () => 21_500 - (Date.now() - started);

    const first = await refreshDueConnections({ concurrency: 2, remainingTimeMs });

    expect(first.stoppedByBudget).toBe(true);
    expect(first.stopReason).toBe('budget');
    expect(first.refreshed).toBeGreaterThan(0);
    expect(first.refreshed).toBeLessThan(30);
    // Every row that was started finished and committed: nothing half-done.
    expect(refreshCalls()).toHaveLength(first.refreshed);
    expect(first.deferred).toBe(first.claimed - first.refreshed);
    const due = await countDueConnections();
    expect(due.google_drive + due.onedrive + due.dropbox).toBe(30 - first.refreshed);

    for (const provider of PROVIDERS) sandbox.control.configure(provider, { tokenLatencyMs: 0 });
    const second = await refreshDueConnections({ remainingTimeMs: () => 100_000 });

    expect(second).toMatchObject({
      refreshed: 30 - first.refreshed,
      stoppedByBudget: false,
      stopReason: 'done',
    });
    expect(refreshCalls()).toHaveLength(30);
    const after = await readConnections(db().name);
    for (const row of seeded) expect(after.get(keyOf(row))!.last_refreshed_at).not.toBeNull();
  }, 60_000);

  it('a pass that dies after the provider answered but before its commit loses nothing: the next pass finishes', async () => {
    const user = newUserIds(2);
    const seeded = await seedConnections(db().name, sandbox, [
      { userId: user[0]!, provider: 'onedrive' },
      { userId: user[1]!, provider: 'onedrive' },
      { userId: user[0]!, provider: 'google_drive' },
      { userId: user[0]!, provider: 'dropbox' },
    ]);
    for (const provider of PROVIDERS) sandbox.control.configure(provider, { tokenLatencyMs: 1_500 });

    const crashed = refreshDueConnections({ concurrency: 4 });
    await until(() => refreshCalls().length === 4, 'all four refreshes to reach the provider');
    // The database side of the pass dies while the provider is answering (like a Lambda killed mid-run).
    await withClient(superuserUrl(db().name), (c) =>
      c.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where usename = 'brand_refresher' and datname = current_database()`,
      ),
    );
    const first = await crashed;

    expect(first.refreshed).toBe(0);
    expect(first.errors).toBe(4);
    // The provider did answer (and Microsoft rotated), but nothing was written.
    expect(refreshCalls().map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const between = await readConnections(db().name);
    for (const row of seeded) {
      expect(between.get(keyOf(row))!.last_refreshed_at).toBeNull();
      expect(await openStored(between.get(keyOf(row))!)).toEqual(row.tokens);
      // The stored refresh token is still good at the provider (Microsoft does not revoke the rotated one).
      expect(sandbox.control.tokenStatus(row.provider, row.tokens.refreshToken!)).toBe('active');
    }

    for (const provider of PROVIDERS) sandbox.control.configure(provider, { tokenLatencyMs: 0 });
    const second = await refreshDueConnections();

    expect(second).toMatchObject({ refreshed: 4, errors: 0, transient: 0, needsReauth: 0 });
    const after = await readConnections(db().name);
    for (const row of seeded) {
      const stored = after.get(keyOf(row))!;
      expect(stored.last_refreshed_at).not.toBeNull();
      const tokens = await openStored(stored);
      expect(sandbox.control.tokenStatus(row.provider, tokens.accessToken)).toBe('active');
      expect(sandbox.control.tokenStatus(row.provider, tokens.refreshToken!)).toBe('active');
    }
    expect(refreshCalls()).toHaveLength(8);
  }, 60_000);
});
