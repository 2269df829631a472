import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { refreshPassHandler as handler } from '#local/refresh-pass';
import { withProviderSession } from '#shared/cloud-storage/provider-session';
import { countDueConnections, refreshDueConnections } from '#shared/cloud-storage/scheduled-refresh';
import { ServiceUnavailable } from '#shared/errors';
import { logger } from '#shared/logger';
import { captureOutput, fakeLambdaContext } from '../support/capture-output.ts';
import { withClient } from '../support/db.ts';
import {
  keyOf,
  kmsVault,
  newUserIds,
  readConnections,
  type SeededRow,
  seedConnections,
  useRefreshSandbox,
} from '../support/refresh-rows.ts';
import { superuserUrl } from '../support/vault-rows.ts';

/**
 * Issue 21, finding 2: the provider answered but the vault cannot seal its tokens (a KMS that refuses only
 * GenerateDataKey). That is a vault outcome, not a provider failure: the stored tokens are kept, the pass stops
 * (no wasted provider refresh per due row), the vault alarm's metric counts it, and a rotated refresh token
 * that could not be kept is an operator-visible event that never carries the token.
 */
const vault = kmsVault();
const { db, sandbox } = useRefreshSandbox({ vault });

beforeEach(() => {
  vault.kms.refuseOperation('GenerateDataKey', undefined);
  vault.kms.clearCalls();
});
afterEach(() => {
  vi.restoreAllMocks();
  logger.setLogLevel('ERROR');
});

const refreshCalls = () => sandbox.control.tokenRequests().filter((r) => r.grantType === 'refresh_token');

async function seedDue(count: number, provider: 'onedrive' | 'dropbox'): Promise<SeededRow[]> {
  const users = newUserIds(count);
  const seeded = await seedConnections(
    db().name,
    sandbox,
    users.map((userId) => ({ userId, provider })),
  );
  vault.kms.clearCalls();
  return seeded;
}

async function ciphertexts(): Promise<Map<string, Buffer>> {
  return new Map([...(await readConnections(db().name))].map(([key, row]) => [key, row.tokens_ciphertext]));
}

describe('a seal failure after the provider answered', () => {
  it('stops the scheduled pass after one provider call: a vault outcome, tokens kept, no failure counted', async () => {
    const seeded = await seedDue(6, 'dropbox');
    const before = await ciphertexts();
    vault.kms.refuseOperation('GenerateDataKey', 'AccessDeniedException');

    const summary = await refreshDueConnections({ concurrency: 1 });

    expect(refreshCalls()).toHaveLength(1);
    expect(summary).toMatchObject({
      stopReason: 'vault',
      vault: 1,
      config: 1,
      transient: 0,
      refreshed: 0,
      rotatedTokensLost: 0,
      configCodes: ['vault_key-unusable'],
    });
    expect(summary.deferred).toBe(summary.claimed - 1);
    // Not retried: a refused key does not come back in milliseconds (only KMS throttling is retried).
    expect(vault.kms.count('GenerateDataKey', 'AccessDeniedException')).toBe(1);
    expect(vault.kms.count('Decrypt')).toBe(1);

    const stored = await readConnections(db().name);
    const touched = [...stored.values()].filter((row) => row.last_error !== null);
    expect(touched).toHaveLength(1);
    expect(touched[0]).toMatchObject({
      status: 'active',
      last_error: 'vault_key-unusable',
      refresh_failure_count: 0,
      next_refresh_at: null,
    });
    for (const row of seeded)
      expect(stored.get(keyOf(row))!.tokens_ciphertext.equals(before.get(keyOf(row))!)).toBe(true);
    expect(await countDueConnections()).toMatchObject({ dropbox: 6 });
  });

  it('retries a throttled KMS briefly under the row lock, then stops the pass', async () => {
    await seedDue(3, 'dropbox');
    vault.kms.refuseOperation('GenerateDataKey', 'KMSInternalException');

    const summary = await refreshDueConnections({ concurrency: 1 });

    expect(refreshCalls()).toHaveLength(1);
    expect(summary).toMatchObject({ stopReason: 'vault', vault: 1, configCodes: ['vault_kms-unavailable'] });
    // Three seal attempts, each with the KMS client's own bounded retries: more than one call, all refused.
    expect(vault.kms.count('GenerateDataKey', 'KMSInternalException')).toBeGreaterThanOrEqual(3);
    expect(vault.kms.count('GenerateDataKey', 'ok')).toBe(0);

    // KMS back: the next pass refreshes everything, the provider is asked once per row.
    vault.kms.refuseOperation('GenerateDataKey', undefined);
    const next = await refreshDueConnections({ concurrency: 1 });
    expect(next).toMatchObject({ stopReason: 'done', refreshed: 3, vault: 0 });
    expect(refreshCalls()).toHaveLength(4);
  });

  it('a rotated refresh token that cannot be sealed is an operator event and a metric, never the token', async () => {
    const [row] = await seedDue(1, 'onedrive');
    vault.kms.refuseOperation('GenerateDataKey', 'AccessDeniedException');
    logger.setLogLevel('INFO');
    const output = captureOutput();

    const summary = await handler({}, fakeLambdaContext(110_000) as never);
    vi.restoreAllMocks();

    expect(refreshCalls()).toHaveLength(1);
    expect(summary).toMatchObject({ stopReason: 'vault', vault: 1, rotatedTokensLost: 1 });
    expect(output.metrics()).toMatchObject({
      'BrandCloud/RefreshVaultErrors': 1,
      'BrandCloud/RefreshTokensLost': 1,
      'BrandCloud/RefreshFailedTransient': 0,
    });
    const event = output.lines().find((l) => l.event === 'refresh_token_lost');
    expect(event).toMatchObject({
      level: 'ERROR',
      userId: row!.userId,
      provider: 'onedrive',
      reason: 'key-unusable',
    });
    // The provider did rotate (the stored token is now the old one), and no token of either generation is printed.
    const issued = sandbox.control.lastTokenRequest('onedrive');
    expect(issued?.grantType).toBe('refresh_token');
    const text = output.text();
    expect(text).not.toContain(row!.tokens.refreshToken!);
    expect(text).not.toContain(row!.tokens.accessToken);
    expect(text).not.toMatch(/M\.C5_sbx\.R\.|EwBsbx\./);

    const audit = await withClient(superuserUrl(db().name), (c) =>
      c.query<{ action: string; metadata: Record<string, unknown> }>(
        'select action, metadata from audit_log where user_id = $1',
        [row!.userId],
      ),
    );
    expect(audit.rows).toEqual([
      {
        action: 'cloud_storage.refresh_failed',
        metadata: { reason: 'refresh_token_lost', vaultReason: 'key-unusable' },
      },
    ]);
  });

  it('on use: 503 after one provider call; the stored tokens are kept', async () => {
    const [row] = await seedDue(1, 'dropbox');
    await withClient(superuserUrl(db().name), (c) =>
      c.query(`update user_cloud_storage_tokens set token_expires_at = now() - interval '1 minute'`),
    );
    const before = await ciphertexts();
    vault.kms.refuseOperation('GenerateDataKey', 'AccessDeniedException');

    const error = await withProviderSession(
      row!.userId,
      'dropbox',
      (files) => files.listFolder({ pageSize: 5 }),
      { deadline: Date.now() + 20_000 },
    )
      .then(() => undefined)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ServiceUnavailable);
    expect(refreshCalls()).toHaveLength(1);
    expect(sandbox.control.apiCalls('dropbox')).toHaveLength(0);
    const stored = (await readConnections(db().name)).get(keyOf(row!))!;
    expect(stored.tokens_ciphertext.equals(before.get(keyOf(row!))!)).toBe(true);
    expect(stored).toMatchObject({ last_error: 'vault_key-unusable', refresh_failure_count: 0 });
  });
});
