import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rotateTokenKeys } from '#shared/cloud-storage/key-rotation';
import type { Provider } from '#shared/providers/types';
import { resetVaultForTests, type TokenSet, tokenVault, VaultError } from '#shared/vault/token-vault';
import { insertUsers, useTestDatabase } from '../support/db.ts';
import { type FakeKms, startFakeKms } from '../support/fake-kms.ts';
import { insertConnection, readSealedRows } from '../support/vault-rows.ts';

const db = useTestDatabase();
const USERS = ['bb000000-0000-4000-8000-000000000001', 'bb000000-0000-4000-8000-000000000002'];
const PROVIDERS: Provider[] = ['google_drive', 'onedrive', 'dropbox'];
const tokensFor = (userId: string, provider: Provider): TokenSet => ({
  accessToken: `kms-access-${userId}-${provider}`,
  refreshToken: `kms-refresh-${userId}-${provider}`,
});

let kms: FakeKms;
let key1: string;
let key2: string;

function useKms(current: string, version: number, previous?: string): void {
  vi.stubEnv('TOKEN_VAULT_KMS_KEY_ARN', current);
  vi.stubEnv('TOKEN_VAULT_KMS_KEY_VERSION', String(version));
  vi.stubEnv('TOKEN_VAULT_KMS_PREVIOUS_KEYS', previous);
  resetVaultForTests();
}

async function versions(): Promise<number[]> {
  return (await readSealedRows(db().name, 'user_cloud_storage_tokens')).map((r) => r.key_version);
}

async function openAll(): Promise<void> {
  for (const row of await readSealedRows(db().name, 'user_cloud_storage_tokens')) {
    const ctx = { userId: row.user_id, provider: row.provider };
    expect(
      await tokenVault.open({ ciphertext: row.tokens_ciphertext, keyVersion: row.key_version }, ctx),
    ).toEqual(tokensFor(row.user_id, row.provider));
  }
}

beforeAll(async () => {
  kms = await startFakeKms();
  key1 = kms.createKey();
  key2 = kms.createKey();
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEYS', undefined);
  vi.stubEnv('TOKEN_VAULT_KMS_ENDPOINT', kms.endpoint);
  useKms(key1, 1);
  await insertUsers(db().appUrl, ...USERS);
  for (const userId of USERS) {
    for (const provider of PROVIDERS) {
      await insertConnection(
        userId,
        provider,
        await tokenVault.seal(tokensFor(userId, provider), { userId, provider }),
      );
    }
  }
});
afterAll(async () => {
  vi.unstubAllEnvs();
  resetVaultForTests();
  await kms.close();
});

describe('key rotation on KMS', () => {
  it('survives KMS failing mid-batch and finishes on the next run; rows then need only key 2', async () => {
    useKms(key2, 2, `1:${key1}`);
    kms.clearCalls();
    // Each row costs one Decrypt (key 1) and one GenerateDataKey (key 2): the 6th call, row 3's
    // GenerateDataKey, fails after two rows of the batch were already re-sealed and updated.
    kms.failAfter(5, 'DisabledException');
    const failed = await rotateTokenKeys({ batchSize: 4 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(VaultError);
    expect((failed as VaultError).reason).toBe('key-unusable');
    // The whole batch rolled back: nothing moved, everything still opens with key 1.
    expect(await versions()).toEqual([1, 1, 1, 1, 1, 1]);
    kms.recover();
    await openAll();

    kms.clearCalls();
    const report = await rotateTokenKeys({ batchSize: 4 });
    expect(report.tables[0]).toMatchObject({ rotated: 6, failed: 0, remaining: 0, batches: 2 });
    expect(report.complete).toBe(true);
    expect(kms.count('Decrypt')).toBe(6);
    expect(kms.count('GenerateDataKey')).toBe(6);
    expect(new Set(kms.calls.filter((c) => c.operation === 'Decrypt').map((c) => c.keyId))).toEqual(
      new Set([key1]),
    );
    expect(new Set(kms.calls.filter((c) => c.operation === 'GenerateDataKey').map((c) => c.keyId))).toEqual(
      new Set([key2]),
    );
    // Each KMS call carried the row's own context.
    for (const call of kms.calls) {
      expect(Object.keys(call.encryptionContext ?? {}).sort()).toEqual(['provider', 'purpose', 'user_id']);
      expect(USERS).toContain(call.encryptionContext?.user_id);
    }

    // Key 1 disabled in KMS and dropped from the configuration: every row still opens.
    kms.setKeyEnabled(key1, false);
    useKms(key2, 2);
    expect(await versions()).toEqual([2, 2, 2, 2, 2, 2]);
    await openAll();
  });
});
