import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { refreshPassHandler as handler } from '#local/refresh-pass';
import { countDueConnections, refreshDueConnections } from '#shared/cloud-storage/scheduled-refresh';
import { logger } from '#shared/logger';
import { PROVIDERS } from '#shared/providers/types';
import { captureOutput, fakeLambdaContext } from '../support/capture-output.ts';
import {
  keyOf,
  kmsVault,
  newUserIds,
  readConnections,
  type SeededRow,
  seedConnections,
  useRefreshSandbox,
} from '../support/refresh-rows.ts';

/**
 * SECURITY.md 35: a disabled KMS key or AccessDenied during the scheduled refresh → error metric, no retry
 * storm (the run stops after the rows in flight; the provider is never called), tokens kept.
 */
const vault = kmsVault();
const { db, sandbox } = useRefreshSandbox({ vault });
let seeded: SeededRow[];
let ciphertexts: Map<string, Buffer>;

beforeEach(async () => {
  vault.kms.setKeyEnabled(vault.keyArn, true);
  vault.kms.denyAccess(false);
  const users = newUserIds(4);
  seeded = await seedConnections(
    db().name,
    sandbox,
    users.flatMap((userId) => PROVIDERS.map((provider) => ({ userId, provider }))),
  );
  ciphertexts = new Map(
    [...(await readConnections(db().name))].map(([key, row]) => [key, row.tokens_ciphertext]),
  );
  vault.kms.clearCalls();
});
afterEach(() => {
  vi.restoreAllMocks();
  logger.setLogLevel('ERROR');
});

async function expectTokensKept(): Promise<void> {
  const stored = await readConnections(db().name);
  const before = new Map(seeded.map((s) => [keyOf(s), s]));
  expect(stored.size).toBe(12);
  for (const [key, row] of stored) {
    expect(before.has(key)).toBe(true);
    expect(row).toMatchObject({ status: 'active', last_refreshed_at: null, refresh_failure_count: 0 });
    expect(row.tokens_ciphertext.equals(ciphertexts.get(key)!)).toBe(true);
  }
  expect(await countDueConnections()).toEqual({ google_drive: 4, onedrive: 4, dropbox: 4 });
}

describe('scheduled refresh with an unusable KMS key', () => {
  it('a disabled key stops the run after the rows in flight: no provider call, tokens kept, error metric', async () => {
    vault.kms.setKeyEnabled(vault.keyArn, false);
    logger.setLogLevel('INFO');
    const output = captureOutput();

    const summary = await handler({}, fakeLambdaContext(110_000) as never);
    vi.restoreAllMocks();

    expect(summary.stopReason).toBe('vault');
    expect(summary.configCodes).toEqual(['vault_key-unusable']);
    expect(summary.config).toBeGreaterThanOrEqual(1);
    // At most one attempt per worker, then nothing more: 12 rows were due.
    expect(summary.config).toBeLessThanOrEqual(summary.concurrency);
    expect(summary.deferred).toBe(summary.claimed - summary.config);
    expect(vault.kms.calls.map((c) => `${c.operation}:${c.outcome}`)).toEqual(
      Array(summary.config).fill('Decrypt:DisabledException'),
    );
    expect(sandbox.control.tokenRequests()).toHaveLength(0);
    await expectTokensKept();

    expect(output.metrics()).toMatchObject({
      'BrandCloud/RefreshConfigErrors': summary.config,
      'BrandCloud/TokensRefreshed': 0,
      'BrandCloud/RefreshDeferred': summary.deferred,
    });
    const line = output.lines().find((l) => l.message === 'Scheduled token refresh');
    expect(line).toMatchObject({ level: 'ERROR', summary: { stopReason: 'vault' } });
  });

  it('AccessDenied behaves the same; once KMS answers again the next run refreshes everything', async () => {
    vault.kms.denyAccess(true);

    const denied = await refreshDueConnections({ concurrency: 2 });

    expect(denied).toMatchObject({ stopReason: 'vault', refreshed: 0, needsReauth: 0, transient: 0 });
    expect(denied.config).toBeGreaterThanOrEqual(1);
    expect(denied.config).toBeLessThanOrEqual(2);
    expect(vault.kms.calls.map((c) => `${c.operation}:${c.outcome}`)).toEqual(
      Array(denied.config).fill('Decrypt:AccessDeniedException'),
    );
    expect(sandbox.control.tokenRequests()).toHaveLength(0);
    await expectTokensKept();

    vault.kms.denyAccess(false);
    const recovered = await refreshDueConnections({ concurrency: 2 });

    expect(recovered).toMatchObject({ stopReason: 'done', refreshed: 12, config: 0 });
    expect(await countDueConnections()).toEqual({ google_drive: 0, onedrive: 0, dropbox: 0 });
  });
});
