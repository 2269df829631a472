import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  resetVaultForTests,
  type SealedTokens,
  type TokenSet,
  tokenVault,
  type VaultContext,
  VaultError,
} from '#shared/vault/token-vault';

const ALICE = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a51';
const BOB = 'c7d8e9f0-a1b2-4c3d-9e4f-a5b6c7d8e952';
const FULL: TokenSet = {
  accessToken: 'ya29.a0AfH6SMBx-plaintext-access-token-0123456789',
  refreshToken: '1//0gplaintext-refresh-token-abcdefghijklmnop',
  tokenType: 'Bearer',
  scope: 'https://www.googleapis.com/auth/drive.file',
  expiresAt: '2030-05-06T07:08:09.000Z',
};
const SECRETS = [FULL.accessToken, FULL.refreshToken!];

async function refusal(promise: Promise<unknown>): Promise<VaultError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VaultError);
  // Whatever went wrong, the error never carries token material.
  const rendered = `${inspect(error, { depth: 10 })} ${JSON.stringify(error)} ${(error as Error).stack}`;
  for (const secret of SECRETS) expect(rendered).not.toContain(secret);
  return error as VaultError;
}

const key = () => randomBytes(32).toString('base64');

beforeEach(() => {
  vi.stubEnv('TOKEN_VAULT_KMS_KEY_ARN', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEYS', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', key());
  resetVaultForTests();
});
afterEach(() => {
  vi.unstubAllEnvs();
  resetVaultForTests();
});

describe('token vault (local raw AES keyring)', () => {
  const alice: VaultContext = { userId: ALICE, provider: 'google_drive' };

  it('seals a token set into one opaque ciphertext and opens it again', async () => {
    const sealed = await tokenVault.seal(FULL, alice);
    expect(sealed.keyVersion).toBe(1);
    expect(Buffer.isBuffer(sealed.ciphertext)).toBe(true);
    // AWS Encryption SDK message format v2 (committing suites) starts with version byte 0x02.
    expect(sealed.ciphertext[0]).toBe(0x02);
    const bytes = sealed.ciphertext.toString('latin1');
    for (const secret of SECRETS) {
      expect(bytes).not.toContain(secret);
      expect(sealed.ciphertext.toString('base64')).not.toContain(Buffer.from(secret).toString('base64'));
    }
    expect(await tokenVault.open(sealed, alice)).toEqual(FULL);
  });

  it('returns only the fields that were sealed', async () => {
    const sealed = await tokenVault.seal({ accessToken: 'only-access' }, alice);
    expect(await tokenVault.open(sealed, alice)).toStrictEqual({ accessToken: 'only-access' });
  });

  it('uses a fresh data key for every seal', async () => {
    const a = await tokenVault.seal(FULL, alice);
    const b = await tokenVault.seal(FULL, alice);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
  });

  it('rejects any tampering: flipped bytes anywhere, truncation, garbage', async () => {
    const sealed = await tokenVault.seal(FULL, alice);
    const positions = [1, 5, 40, 120, Math.floor(sealed.ciphertext.length / 2), sealed.ciphertext.length - 1];
    for (const position of positions) {
      const tampered = Buffer.from(sealed.ciphertext);
      tampered[position]! ^= 0x80;
      const error = await refusal(tokenVault.open({ ciphertext: tampered, keyVersion: 1 }, alice));
      expect(['decrypt-failed', 'context-mismatch'], `byte ${position}`).toContain(error.reason);
    }
    for (const ciphertext of [
      sealed.ciphertext.subarray(0, sealed.ciphertext.length - 10),
      randomBytes(sealed.ciphertext.length),
      Buffer.alloc(0),
    ]) {
      const error = await refusal(tokenVault.open({ ciphertext, keyVersion: 1 }, alice));
      expect(['decrypt-failed', 'invalid-input']).toContain(error.reason);
    }
  });

  it('refuses a row swapped between users or between providers', async () => {
    const rows: Record<string, SealedTokens> = {};
    const contexts: Record<string, VaultContext> = {
      aliceDrive: { userId: ALICE, provider: 'google_drive' },
      aliceDropbox: { userId: ALICE, provider: 'dropbox' },
      bobDrive: { userId: BOB, provider: 'google_drive' },
    };
    for (const [name, ctx] of Object.entries(contexts)) rows[name] = await tokenVault.seal(FULL, ctx);

    for (const [from, to] of [
      ['aliceDrive', 'bobDrive'],
      ['bobDrive', 'aliceDrive'],
      ['aliceDrive', 'aliceDropbox'],
      ['aliceDropbox', 'aliceDrive'],
    ] as const) {
      const error = await refusal(tokenVault.open(rows[from]!, contexts[to]!));
      expect(error.reason, `${from} -> ${to}`).toBe('context-mismatch');
      expect(await tokenVault.open(rows[to]!, contexts[to]!)).toEqual(FULL);
    }
  });

  it('treats the user id as a UUID (case-insensitive), but nothing else', async () => {
    const sealed = await tokenVault.seal(FULL, { userId: ALICE.toUpperCase(), provider: 'onedrive' });
    expect(await tokenVault.open(sealed, { userId: ALICE, provider: 'onedrive' })).toEqual(FULL);
  });

  it('rejects malformed input without echoing it', async () => {
    const bad: Array<[TokenSet, VaultContext]> = [
      [{ ...FULL, accessToken: '' }, alice],
      [{ ...FULL, expiresAt: `not-a-date ${FULL.accessToken}` }, alice],
      [{ ...FULL, refreshToken: 42 as unknown as string }, alice],
      [FULL, { userId: 'not-a-uuid', provider: 'dropbox' }],
      [FULL, { userId: ALICE, provider: 'Dropbox' as VaultContext['provider'] }],
    ];
    for (const [tokens, ctx] of bad) {
      const error = await refusal(tokenVault.seal(tokens, ctx));
      expect(error.reason).toBe('invalid-input');
    }
    const sealed = await tokenVault.seal(FULL, alice);
    expect((await refusal(tokenVault.open({ ...sealed, keyVersion: 1.5 }, alice))).reason).toBe(
      'invalid-input',
    );
  });

  it('opens rows of every configured key version, seals with the highest', async () => {
    const v1 = key();
    vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', v1);
    resetVaultForTests();
    const old = await tokenVault.seal(FULL, alice);
    expect(old.keyVersion).toBe(1);

    vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', undefined);
    vi.stubEnv('TOKEN_VAULT_LOCAL_KEYS', `1:${v1},2:${key()}`);
    resetVaultForTests();
    expect(tokenVault.currentKeyVersion()).toBe(2);
    const fresh = await tokenVault.seal(FULL, alice);
    expect(fresh.keyVersion).toBe(2);
    expect(await tokenVault.open(old, alice)).toEqual(FULL);
    expect(await tokenVault.open(fresh, alice)).toEqual(FULL);

    expect((await refusal(tokenVault.open({ ...old, keyVersion: 2 }, alice))).reason).toBe('decrypt-failed');
    expect((await refusal(tokenVault.open({ ...old, keyVersion: 7 }, alice))).reason).toBe(
      'unknown-key-version',
    );
  });

  it('cannot open with a different key under the same version number', async () => {
    const sealed = await tokenVault.seal(FULL, alice);
    vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', key());
    resetVaultForTests();
    expect((await refusal(tokenVault.open(sealed, alice))).reason).toBe('decrypt-failed');
  });
});
