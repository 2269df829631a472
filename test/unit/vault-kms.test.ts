import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  KmsKeyringNode,
} from '@aws-crypto/client-node';
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, KMS, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  resetVaultForTests,
  TOKEN_VAULT_PURPOSE,
  type TokenSet,
  tokenVault,
  type VaultContext,
  VaultError,
} from '#shared/vault/token-vault';
import {
  TOKEN_VAULT_PURPOSE as GRANTED_PURPOSE,
  TOKEN_VAULT_CONTEXT_KEYS,
} from '../../infra/constructs/token-vault.ts';
import { type FakeKms, startFakeKms } from '../support/fake-kms.ts';

const ALICE = '0b5f7c1e-1d2a-4c3b-9e4f-5a6b7c8d9e01';
const BOB = '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c02';
const tokens = (tag: string): TokenSet => ({
  accessToken: `at-kms-${tag}-${'A'.repeat(40)}`,
  refreshToken: `rt-kms-${tag}-${'R'.repeat(40)}`,
  tokenType: 'Bearer',
  scope: 'files.read',
  expiresAt: '2030-01-01T00:00:00.000Z',
});
const contextOf = (ctx: VaultContext) => ({
  purpose: TOKEN_VAULT_PURPOSE,
  user_id: ctx.userId,
  provider: ctx.provider,
});

async function refusal(promise: Promise<unknown>): Promise<VaultError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VaultError);
  return error as VaultError;
}

let kms: FakeKms;
let keyArn: string;

function useKms(current: string, version?: number, previous?: string): void {
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEYS', undefined);
  vi.stubEnv('TOKEN_VAULT_KMS_ENDPOINT', kms.endpoint);
  vi.stubEnv('TOKEN_VAULT_KMS_KEY_ARN', current);
  vi.stubEnv('TOKEN_VAULT_KMS_KEY_VERSION', version === undefined ? undefined : String(version));
  vi.stubEnv('TOKEN_VAULT_KMS_PREVIOUS_KEYS', previous);
  resetVaultForTests();
}

beforeAll(async () => {
  kms = await startFakeKms();
});
afterAll(async () => {
  resetVaultForTests();
  await kms.close();
});
beforeEach(() => {
  keyArn = kms.createKey();
  useKms(keyArn);
  kms.clearCalls();
});
afterEach(() => {
  kms.denyAccess(false);
  kms.recover();
  vi.unstubAllEnvs();
  resetVaultForTests();
});

describe('token vault on KMS (real @aws-sdk/client-kms against the loopback fake)', () => {
  it('round-trips with exactly one GenerateDataKey per seal and one Decrypt per open, each carrying the context', async () => {
    const rows: VaultContext[] = [
      { userId: ALICE, provider: 'google_drive' },
      { userId: ALICE, provider: 'dropbox' },
      { userId: BOB, provider: 'onedrive' },
    ];
    const sealed = [];
    for (const [i, ctx] of rows.entries()) sealed.push(await tokenVault.seal(tokens(String(i)), ctx));
    expect(kms.count('GenerateDataKey')).toBe(3);
    expect(kms.calls).toHaveLength(3);

    for (const [i, ctx] of rows.entries()) {
      expect(await tokenVault.open(sealed[i]!, ctx)).toEqual(tokens(String(i)));
    }
    expect(kms.count('GenerateDataKey')).toBe(3);
    expect(kms.count('Decrypt')).toBe(3);
    expect(kms.count('Encrypt')).toBe(0);
    expect(kms.calls).toHaveLength(6);
    // Every call names the key and carries exactly the row's context (ids only, as CloudTrail logs it).
    expect(kms.calls.map((c) => [c.operation, c.keyId, c.encryptionContext])).toEqual([
      ...rows.map((ctx) => ['GenerateDataKey', keyArn, contextOf(ctx)]),
      ...rows.map((ctx) => ['Decrypt', keyArn, contextOf(ctx)]),
    ]);
    expect(sealed.every((s) => s.keyVersion === 1)).toBe(true);
    // What the IAM grant admits (kms:EncryptionContext:purpose and kms:EncryptionContextKeys) is what is sent.
    for (const call of kms.calls) {
      expect(call.encryptionContext?.purpose).toBe(GRANTED_PURPOSE);
      expect(Object.keys(call.encryptionContext ?? {}).sort()).toEqual([...TOKEN_VAULT_CONTEXT_KEYS].sort());
    }
  });

  it('the fake KMS really binds the encryption context: Decrypt with another context is InvalidCiphertext', async () => {
    const client = new KMSClient({ endpoint: kms.endpoint, region: kms.region });
    try {
      const context = { purpose: TOKEN_VAULT_PURPOSE, user_id: ALICE, provider: 'dropbox' };
      const dataKey = await client.send(
        new GenerateDataKeyCommand({ KeyId: keyArn, NumberOfBytes: 32, EncryptionContext: context }),
      );
      const reordered = { provider: 'dropbox', user_id: ALICE, purpose: TOKEN_VAULT_PURPOSE };
      const same = await client.send(
        new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: reordered }),
      );
      expect(Buffer.from(same.Plaintext!)).toEqual(Buffer.from(dataKey.Plaintext!));
      expect(same.KeyId).toBe(keyArn);

      for (const other of [
        { ...context, user_id: BOB },
        { ...context, extra: 'x' },
        { purpose: context.purpose },
      ]) {
        await expect(
          client.send(
            new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: other }),
          ),
        ).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
      }
      const wrapped = await client.send(
        new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('data key'), EncryptionContext: context }),
      );
      await expect(
        client.send(new DecryptCommand({ CiphertextBlob: wrapped.CiphertextBlob })),
      ).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
      const unwrapped = await client.send(
        new DecryptCommand({ CiphertextBlob: wrapped.CiphertextBlob, EncryptionContext: context }),
      );
      expect(Buffer.from(unwrapped.Plaintext!).toString()).toBe('data key');
    } finally {
      client.destroy();
    }
  });

  it('refuses a ciphertext moved to another user or provider before asking KMS, although KMS alone would decrypt it', async () => {
    const alice: VaultContext = { userId: ALICE, provider: 'google_drive' };
    const sealed = await tokenVault.seal(tokens('moved'), alice);

    // What the Encryption SDK does by itself: the context travels in the message, so KMS sees a consistent
    // request and a moved ciphertext decrypts fine. This is why open() compares the context with the row.
    const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
    const keyring = new KmsKeyringNode({
      generatorKeyId: keyArn,
      clientProvider: () => new KMS({ endpoint: kms.endpoint, region: kms.region }),
    });
    const naive = await esdk.decrypt(keyring, sealed.ciphertext);
    expect(JSON.parse(naive.plaintext.toString()).accessToken).toBe(tokens('moved').accessToken);

    kms.clearCalls();
    for (const ctx of [
      { userId: BOB, provider: 'google_drive' },
      { userId: ALICE, provider: 'onedrive' },
    ] as VaultContext[]) {
      const error = await refusal(tokenVault.open(sealed, ctx));
      expect(error.reason).toBe('context-mismatch');
      expect(error.message).not.toContain(tokens('moved').accessToken);
    }
    expect(kms.calls).toHaveLength(0);
  });

  it('refuses messages whose context has a missing key, an extra key or a different case', async () => {
    const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
    const keyring = new KmsKeyringNode({
      generatorKeyId: keyArn,
      clientProvider: () => new KMS({ endpoint: kms.endpoint, region: kms.region }),
    });
    const row: VaultContext = { userId: ALICE, provider: 'dropbox' };
    const exact = contextOf(row);
    const payload = JSON.stringify({ v: 1, accessToken: 'crafted-token' });
    const craft = async (encryptionContext: Record<string, string>) =>
      (
        await esdk.encrypt(keyring, payload, {
          encryptionContext,
          suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
        })
      ).result;

    // Control: the exact context opens, so the refusals below are about the context alone.
    expect(await tokenVault.open({ ciphertext: await craft(exact), keyVersion: 1 }, row)).toEqual({
      accessToken: 'crafted-token',
    });
    const variants: Record<string, string>[] = [
      { purpose: exact.purpose, user_id: exact.user_id },
      { ...exact, tenant: 'x' },
      { ...exact, 'aws-crypto-extra': 'x' },
      { ...exact, user_id: ALICE.toUpperCase() },
      { ...exact, provider: 'Dropbox' },
      { ...exact, purpose: 'Cloud-Storage-Tokens' },
      { Purpose: exact.purpose, user_id: exact.user_id, provider: exact.provider },
    ];
    for (const variant of variants) {
      const error = await refusal(tokenVault.open({ ciphertext: await craft(variant), keyVersion: 1 }, row));
      expect(error.reason, JSON.stringify(variant)).toBe('context-mismatch');
    }
  });

  it('rejects a tampered ciphertext', async () => {
    const ctx: VaultContext = { userId: ALICE, provider: 'onedrive' };
    const sealed = await tokenVault.seal(tokens('tamper'), ctx);
    const tampered = Buffer.from(sealed.ciphertext);
    tampered[tampered.length - 40]! ^= 0x01;
    const error = await refusal(tokenVault.open({ ciphertext: tampered, keyVersion: 1 }, ctx));
    expect(error.reason).toBe('decrypt-failed');
  });

  it('reports a disabled key as key-unusable, without retries', async () => {
    const ctx: VaultContext = { userId: BOB, provider: 'dropbox' };
    const sealed = await tokenVault.seal(tokens('disabled'), ctx);
    kms.setKeyEnabled(keyArn, false);
    kms.clearCalls();

    const onSeal = await refusal(tokenVault.seal(tokens('disabled'), ctx));
    expect(onSeal).toMatchObject({ reason: 'key-unusable', retryable: false, kmsError: 'DisabledException' });
    const onOpen = await refusal(tokenVault.open(sealed, ctx));
    expect(onOpen).toMatchObject({ reason: 'key-unusable', retryable: false, kmsError: 'DisabledException' });
    expect(kms.count('GenerateDataKey', 'DisabledException')).toBe(1);
    expect(kms.count('Decrypt', 'DisabledException')).toBe(1);
    expect(kms.calls).toHaveLength(2);

    kms.setKeyEnabled(keyArn, true);
    expect(await tokenVault.open(sealed, ctx)).toEqual(tokens('disabled'));
  });

  it('reports AccessDenied as key-unusable, without retries', async () => {
    const ctx: VaultContext = { userId: BOB, provider: 'google_drive' };
    const sealed = await tokenVault.seal(tokens('denied'), ctx);
    kms.denyAccess(true);
    kms.clearCalls();
    const onOpen = await refusal(tokenVault.open(sealed, ctx));
    expect(onOpen).toMatchObject({ reason: 'key-unusable', kmsError: 'AccessDeniedException' });
    const onSeal = await refusal(tokenVault.seal(tokens('denied'), ctx));
    expect(onSeal).toMatchObject({ reason: 'key-unusable', kmsError: 'AccessDeniedException' });
    expect(kms.calls.map((c) => c.outcome)).toEqual(['AccessDeniedException', 'AccessDeniedException']);
  });

  it('reports a KMS internal error as retryable kms-unavailable', async () => {
    kms.failAfter(0, 'KMSInternalException');
    const error = await refusal(tokenVault.seal(tokens('internal'), { userId: ALICE, provider: 'dropbox' }));
    expect(error).toMatchObject({ reason: 'kms-unavailable', retryable: true });
    expect(kms.count('GenerateDataKey', 'KMSInternalException')).toBeGreaterThanOrEqual(1);
  });

  it('a prepared seal asks KMS for its data key at once; the seal itself is local, once only, and opens as usual', async () => {
    const ctx: VaultContext = { userId: ALICE, provider: 'dropbox' };
    const prepared = tokenVault.prepareSeal(ctx);
    // The GenerateDataKey is under way before anything is sealed (the refresh overlaps it with the token call).
    await vi.waitFor(() => expect(kms.count('GenerateDataKey', 'ok')).toBe(1));

    const sealed = await prepared.seal(tokens('prepared'));
    expect(sealed.keyVersion).toBe(1);
    expect(kms.calls.map((c) => [c.operation, c.keyId, c.encryptionContext])).toEqual([
      ['GenerateDataKey', keyArn, contextOf(ctx)],
    ]);
    expect(await tokenVault.open(sealed, ctx)).toEqual(tokens('prepared'));
    // Bound to its row like any seal: another user or provider cannot open it.
    expect((await refusal(tokenVault.open(sealed, { userId: BOB, provider: 'dropbox' }))).reason).toBe(
      'context-mismatch',
    );

    // One data key per message: a second seal with the same preparation is refused, without a KMS call.
    kms.clearCalls();
    const again = await refusal(prepared.seal(tokens('again')));
    expect(again.reason).toBe('encrypt-failed');
    prepared.discard();
    expect(kms.calls).toHaveLength(0);

    // Two preparations, two data keys: their ciphertexts carry different encrypted data keys.
    const [a, b] = await Promise.all(
      [tokenVault.prepareSeal(ctx), tokenVault.prepareSeal(ctx)].map((p) => p.seal(tokens('same'))),
    );
    expect(kms.count('GenerateDataKey', 'ok')).toBe(2);
    const edk = (c: Buffer) => c.subarray(0, 400).toString('hex');
    expect(edk(a!.ciphertext)).not.toBe(edk(b!.ciphertext));
  });

  it('a discarded preparation is never used; a refused one fails its seal like a plain seal, never unhandled', async () => {
    const ctx: VaultContext = { userId: BOB, provider: 'onedrive' };
    const unused = tokenVault.prepareSeal(ctx);
    unused.discard();
    expect((await refusal(unused.seal(tokens('late')))).reason).toBe('encrypt-failed');
    // Its data key was made (and is zeroed on arrival), only never used.
    await vi.waitFor(() => expect(kms.count('GenerateDataKey', 'ok')).toBe(1));

    kms.denyAccess(true);
    kms.clearCalls();
    const refused = tokenVault.prepareSeal(ctx);
    await vi.waitFor(() => expect(kms.count('GenerateDataKey', 'AccessDeniedException')).toBe(1));
    // Nothing awaited the refusal yet: the next ticks must not see an unhandled rejection (vitest fails on one).
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await refusal(refused.seal(tokens('denied')))).toMatchObject({
      reason: 'key-unusable',
      kmsError: 'AccessDeniedException',
    });
    expect(kms.calls).toHaveLength(1);

    // A context that could never be sealed fails the seal, not the preparation (no KMS call either).
    const bad = tokenVault.prepareSeal({ userId: 'not-a-uuid', provider: 'dropbox' });
    expect((await refusal(bad.seal(tokens('bad')))).reason).toBe('invalid-input');
    bad.discard();
    expect(kms.calls).toHaveLength(1);
  });

  it('opens rows of a previous key version with that key and seals new rows with the current one', async () => {
    const ctx: VaultContext = { userId: ALICE, provider: 'google_drive' };
    const old = await tokenVault.seal(tokens('v1'), ctx);
    expect(old.keyVersion).toBe(1);

    const newArn = kms.createKey();
    useKms(newArn, 2, `1:${keyArn}`);
    kms.clearCalls();
    expect(tokenVault.currentKeyVersion()).toBe(2);
    expect(await tokenVault.open(old, ctx)).toEqual(tokens('v1'));
    const fresh = await tokenVault.seal(tokens('v2'), ctx);
    expect(fresh.keyVersion).toBe(2);
    expect(await tokenVault.open(fresh, ctx)).toEqual(tokens('v2'));
    expect(kms.calls.map((c) => [c.operation, c.keyId])).toEqual([
      ['Decrypt', keyArn],
      ['GenerateDataKey', newArn],
      ['Decrypt', newArn],
    ]);

    // A row claiming the wrong version is not decrypted with a key it was not sealed under.
    const wrong = await refusal(tokenVault.open({ ciphertext: old.ciphertext, keyVersion: 2 }, ctx));
    expect(wrong.reason).toBe('decrypt-failed');
    const unknown = await refusal(tokenVault.open({ ciphertext: old.ciphertext, keyVersion: 3 }, ctx));
    expect(unknown.reason).toBe('unknown-key-version');
  });
});
