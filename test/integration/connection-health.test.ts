import { describe, expect, it, vi } from 'vitest';
import type { TokenFailure } from '#local/sandbox/state';
import { allowSlowRefresh, lockConnection } from '#shared/cloud-storage/connection-store';
import { getConnections } from '#shared/cloud-storage/connections';
import { refreshLockedConnection } from '#shared/cloud-storage/refresh-core';
import { markConnectionNeedsReauth } from '#shared/cloud-storage/refresh-on-use';
import { refreshDueConnections } from '#shared/cloud-storage/scheduled-refresh';
import { withRefresher } from '#shared/db/tenant';
import type { Provider } from '#shared/providers/types';
import { newUserIds, seedConnections, useRefreshSandbox } from '../support/refresh-rows.ts';

/**
 * Connection health (issue 17): each provider answer → status, reason and exactly one event per transition;
 * transient failures back off without touching the credentials; permanent ones stop every attempt; a rolled-back
 * refresh leaves neither state nor event; the API shows health with computed warnings.
 */
const { db, sandbox, sql } = useRefreshSandbox({ alsoClear: ['events'] });

interface Row {
  id: string;
  status: string;
  health_reason: string | null;
  refresh_failure_count: number;
  next_refresh_at: string | null;
  last_failure_at: string | null;
  last_error: string | null;
  tokens_ciphertext: Buffer;
}
const rowOf = async (userId: string, provider: Provider) =>
  (
    await sql<Row>(
      `select id, status, health_reason, refresh_failure_count, next_refresh_at, last_failure_at, last_error,
              tokens_ciphertext from user_cloud_storage_tokens where user_id = $1 and provider = $2`,
      [userId, provider],
    )
  )[0]!;
const eventsOf = (userId: string) =>
  sql<{ type: string; subject_id: string; data: Record<string, unknown> }>(
    'select type, subject_id, data from events where user_id = $1 order by seq',
    [userId],
  );

async function seedOne(provider: Provider) {
  const [userId] = newUserIds(1);
  await seedConnections(db().name, sandbox, [{ userId: userId!, provider }]);
  return { userId: userId!, before: await rowOf(userId!, provider) };
}

const PERMANENT: Array<[string, Provider, TokenFailure | { dropboxApi: string }, string, string]> = [
  [
    'Microsoft AADSTS700082',
    'onedrive',
    { kind: 'oauth_error', error: 'invalid_grant', aadsts: 700082 },
    'needs_reauth',
    'invalid_grant',
  ],
  [
    'Microsoft AADSTS50173',
    'onedrive',
    { kind: 'oauth_error', error: 'invalid_grant', aadsts: 50173 },
    'needs_reauth',
    'consent_revoked',
  ],
  [
    'Microsoft AADSTS70043',
    'onedrive',
    { kind: 'oauth_error', error: 'invalid_grant', aadsts: 70043 },
    'needs_reauth',
    'conditional_access',
  ],
  [
    'Microsoft AADSTS50076',
    'onedrive',
    { kind: 'oauth_error', error: 'interaction_required', aadsts: 50076 },
    'needs_reauth',
    'conditional_access',
  ],
  [
    'Microsoft AADSTS65001',
    'onedrive',
    { kind: 'oauth_error', error: 'invalid_grant', aadsts: 65001 },
    'needs_admin_consent',
    'admin_consent_required',
  ],
  [
    'Microsoft AADSTS90094',
    'onedrive',
    { kind: 'oauth_error', error: 'invalid_grant', aadsts: 90094 },
    'needs_admin_consent',
    'admin_consent_required',
  ],
  [
    'Google invalid_grant',
    'google_drive',
    { kind: 'oauth_error', error: 'invalid_grant' },
    'needs_reauth',
    'invalid_grant',
  ],
  [
    'Google invalid_scope',
    'google_drive',
    { kind: 'oauth_error', error: 'invalid_scope' },
    'needs_reauth',
    'scopes_missing',
  ],
  [
    'Dropbox invalid_access_token',
    'dropbox',
    { dropboxApi: 'invalid_access_token' },
    'needs_reauth',
    'consent_revoked',
  ],
  ['Dropbox missing_scope', 'dropbox', { dropboxApi: 'missing_scope' }, 'needs_reauth', 'scopes_missing'],
];

describe('permanent provider answers', () => {
  it.each(PERMANENT)(
    '%s → %s… status, reason and one needs_reauth event; no more attempts; tokens kept',
    async (_name, provider, answer, status, reason) => {
      const { userId, before } = await seedOne(provider);
      if ('dropboxApi' in answer) {
        // Dropbox says these on its API (the session records them like a dead grant).
        await markConnectionNeedsReauth(userId, provider, answer.dropboxApi);
      } else {
        sandbox.control.failNextTokenCalls(provider, answer);
        const summary = await refreshDueConnections({ purgeOAuthRows: false });
        expect(summary.needsReauth).toBe(1);
      }
      const after = await rowOf(userId, provider);
      expect(after).toMatchObject({ status, health_reason: reason, next_refresh_at: null });
      expect(after.last_failure_at).not.toBeNull();
      expect(after.tokens_ciphertext.equals(before.tokens_ciphertext)).toBe(true);
      expect(await eventsOf(userId)).toEqual([
        { type: 'cloud_storage.needs_reauth', subject_id: before.id, data: { provider, status, reason } },
      ]);

      // Stopped: no refresh is attempted again, and the same answer again writes no second event.
      const calls = sandbox.control.tokenRequests(provider).length;
      expect((await refreshDueConnections({ purgeOAuthRows: false })).claimed).toBe(0);
      await markConnectionNeedsReauth(userId, provider, 'invalid_grant');
      expect(sandbox.control.tokenRequests(provider)).toHaveLength(calls);
      expect(await eventsOf(userId)).toHaveLength(1);

      const [api] = (await getConnections(userId)).connections;
      expect(api).toMatchObject({
        id: before.id,
        status,
        health: { reason, consecutiveFailures: 1, nextAttemptAt: null },
      });
    },
  );
});

describe('transient failures', () => {
  it('back off (capped, jittered), stay active with the reason, one refresh_failed event; success → one recovered event', async () => {
    const { userId, before } = await seedOne('onedrive');
    sandbox.control.failNextTokenCalls('onedrive', { kind: 'unavailable', retryAfterSeconds: 1 });
    expect((await refreshDueConnections({ purgeOAuthRows: false })).transient).toBe(1);
    let row = await rowOf(userId, 'onedrive');
    expect(row).toMatchObject({
      status: 'active',
      health_reason: 'provider_unavailable',
      refresh_failure_count: 1,
    });
    const wait = Date.parse(row.next_refresh_at!) - Date.now();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(61_000); // first retry: at most 30 s · 2 (full jitter), or Retry-After
    expect(row.tokens_ciphertext.equals(before.tokens_ciphertext)).toBe(true);

    // Not retried before its time.
    expect((await refreshDueConnections({ purgeOAuthRows: false })).claimed).toBe(0);
    await sql('update user_cloud_storage_tokens set next_refresh_at = now() where user_id = $1', [userId]);
    sandbox.control.failNextTokenCalls('onedrive', { kind: 'rate_limited', retryAfterSeconds: 1 });
    expect((await refreshDueConnections({ purgeOAuthRows: false })).transient).toBe(1);
    row = await rowOf(userId, 'onedrive');
    expect(row).toMatchObject({ health_reason: 'rate_limited', refresh_failure_count: 2 });

    await sql('update user_cloud_storage_tokens set next_refresh_at = now() where user_id = $1', [userId]);
    expect((await refreshDueConnections({ purgeOAuthRows: false })).refreshed).toBe(1);
    row = await rowOf(userId, 'onedrive');
    expect(row).toMatchObject({ status: 'active', health_reason: null, refresh_failure_count: 0 });

    const events = await eventsOf(userId);
    expect(events.map((e) => e.type)).toEqual(['cloud_storage.refresh_failed', 'cloud_storage.recovered']);
    expect(events[0]!.data).toMatchObject({
      provider: 'onedrive',
      reason: 'provider_unavailable',
      consecutiveFailures: 1,
    });
    expect(events[1]!.data).toMatchObject({ provider: 'onedrive', previousReason: 'rate_limited' });
  });

  it('a healthy refresh writes no event', async () => {
    const { userId } = await seedOne('dropbox');
    expect((await refreshDueConnections({ purgeOAuthRows: false })).refreshed).toBe(1);
    expect(await eventsOf(userId)).toEqual([]);
  });
});

describe('consistency with state', () => {
  it('a refresh whose transaction rolls back after the state write leaves neither state nor event', async () => {
    const { userId, before } = await seedOne('google_drive');
    sandbox.control.failNextTokenCalls('google_drive', { kind: 'oauth_error', error: 'invalid_grant' });
    await expect(
      withRefresher(async (tx) => {
        await allowSlowRefresh(tx);
        const row = await lockConnection(tx, userId, 'google_drive');
        expect((await refreshLockedConnection(tx, row!)).kind).toBe('needs_reauth');
        throw new Error('injected failure after the state write');
      }),
    ).rejects.toThrow('injected failure');
    const after = await rowOf(userId, 'google_drive');
    expect(after).toMatchObject({ status: 'active', health_reason: null, refresh_failure_count: 0 });
    expect(after.tokens_ciphertext.equals(before.tokens_ciphertext)).toBe(true);
    expect(await eventsOf(userId)).toEqual([]);
  });
});

describe('warnings', () => {
  it('testing_mode_expiry for a 6-day-old Google refresh token in testing mode; idle_expiry near the idle limit', async () => {
    const [a, b] = newUserIds(2);
    await seedConnections(db().name, sandbox, [
      { userId: a!, provider: 'google_drive' },
      { userId: b!, provider: 'onedrive', lastRefreshed: '-80 days', connected: '-200 days' },
    ]);
    await sql(
      "update user_cloud_storage_tokens set refresh_token_issued_at = now() - interval '6 days 1 hour' where user_id = $1",
      [a],
    );
    vi.stubEnv('GOOGLE_APP_TESTING_MODE', 'true');
    try {
      const [google] = (await getConnections(a!)).connections;
      expect(google!.health.warnings.map((w) => w.code)).toEqual(['testing_mode_expiry']);
      vi.stubEnv('GOOGLE_APP_TESTING_MODE', 'false');
      expect((await getConnections(a!)).connections[0]!.health.warnings).toEqual([]);
    } finally {
      vi.stubEnv('GOOGLE_APP_TESTING_MODE', undefined);
    }
    const [onedrive] = (await getConnections(b!)).connections;
    expect(onedrive!.health.warnings.map((w) => w.code)).toEqual(['idle_expiry']);
    expect(onedrive!.health.warnings[0]!.message).toMatch(/80 days/);
  });
});
