import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { routeEntries } from '#functions/routes';
import { assertVaultConfigured } from '#shared/vault/keys';
import {
  resetVaultForTests,
  tokenVault,
  VaultConfigurationError,
  type VaultContext,
} from '#shared/vault/token-vault';

const ctx: VaultContext = { userId: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a83', provider: 'dropbox' };
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OLD_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/0000abcd-12ab-34cd-56ef-1234567890ab';
const dir = mkdtempSync(path.join(os.tmpdir(), 'vault-config-'));
const VAULT_VARS = [
  'TOKEN_VAULT_KMS_KEY_ARN',
  'TOKEN_VAULT_KMS_KEY_VERSION',
  'TOKEN_VAULT_KMS_PREVIOUS_KEYS',
  'TOKEN_VAULT_KMS_ENDPOINT',
  'TOKEN_VAULT_LOCAL_KEY',
  'TOKEN_VAULT_LOCAL_KEYS',
  'AWS_LAMBDA_FUNCTION_NAME',
];
let keyFile: string;

function configError(fn: () => unknown): VaultConfigurationError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(VaultConfigurationError);
  expect((caught as VaultConfigurationError).reason).toBe('configuration');
  return caught as VaultConfigurationError;
}

beforeEach(() => {
  for (const name of VAULT_VARS) vi.stubEnv(name, undefined);
  keyFile = path.join(dir, randomBytes(4).toString('hex'), 'token-vault.key');
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEY_FILE', keyFile);
  resetVaultForTests();
});
afterEach(() => {
  vi.unstubAllEnvs();
  resetVaultForTests();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fail closed in AWS', () => {
  beforeEach(() => vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'brand-cloud-connections'));

  it('refuses to seal, open or start without a KMS key, and creates no local key', async () => {
    const error = configError(() => assertVaultConfigured());
    expect(error.message).toMatch(/TOKEN_VAULT_KMS_KEY_ARN is required when running in AWS Lambda/);
    configError(() => tokenVault.currentKeyVersion());
    await expect(tokenVault.seal({ accessToken: 'plain' }, ctx)).rejects.toBeInstanceOf(
      VaultConfigurationError,
    );
    await expect(
      tokenVault.open({ ciphertext: Buffer.from('x'), keyVersion: 1 }, ctx),
    ).rejects.toBeInstanceOf(VaultConfigurationError);
    expect(existsSync(keyFile)).toBe(false);
  });

  it('does not accept a local raw key instead', () => {
    vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', randomBytes(32).toString('base64'));
    expect(configError(() => assertVaultConfigured()).message).toMatch(/TOKEN_VAULT_KMS_KEY_ARN is required/);
    vi.stubEnv('TOKEN_VAULT_KMS_KEY_ARN', KEY_ARN);
    resetVaultForTests();
    expect(configError(() => assertVaultConfigured()).message).toMatch(/not accepted in AWS Lambda/);
  });

  // Capability-driven: every route with `vault` in its capabilities checks at module load (functions/define-handler).
  const vaultRoutes = routeEntries()
    .filter(([, route]) => (route.capabilities as readonly string[]).includes('vault'))
    .map(([key]) => key);

  it.each(vaultRoutes)('%s refuses to load without a KMS key', async (key) => {
    vi.resetModules();
    const entry = new URL(`../../functions/${key}.ts`, import.meta.url).href;
    await expect(import(/* @vite-ignore */ entry)).rejects.toThrow(/TOKEN_VAULT_KMS_KEY_ARN is required/);
    expect(existsSync(keyFile)).toBe(false);
  });

  it('covers DELETE /auth/me; a route without the capability loads', async () => {
    expect(vaultRoutes).toEqual(expect.arrayContaining(['auth/me-delete', 'cloud-storage/list-files']));
    vi.resetModules();
    const loaded = (await import('../../functions/competitors/create.ts')) as { handler: unknown };
    expect(typeof loaded.handler).toBe('function');
  });

  it('starts with a KMS key configured', () => {
    vi.stubEnv('TOKEN_VAULT_KMS_KEY_ARN', KEY_ARN);
    vi.stubEnv('TOKEN_VAULT_KMS_KEY_VERSION', '3');
    vi.stubEnv('TOKEN_VAULT_KMS_PREVIOUS_KEYS', `1:${OLD_ARN}, 2:${OLD_ARN}`);
    expect(() => assertVaultConfigured()).not.toThrow();
    expect(tokenVault.currentKeyVersion()).toBe(3);
  });
});

describe('configuration errors', () => {
  const k = () => randomBytes(32).toString('base64');
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['two local forms', { TOKEN_VAULT_LOCAL_KEY: k(), TOKEN_VAULT_LOCAL_KEYS: `1:${k()}` }, /not both/],
    ['KMS and local', { TOKEN_VAULT_KMS_KEY_ARN: KEY_ARN, TOKEN_VAULT_LOCAL_KEY: k() }, /not both/],
    ['short key', { TOKEN_VAULT_LOCAL_KEY: randomBytes(16).toString('base64') }, /32 bytes/],
    ['not base64', { TOKEN_VAULT_LOCAL_KEY: `${'*'.repeat(43)}=` }, /32 bytes/],
    ['bad version', { TOKEN_VAULT_LOCAL_KEYS: `0:${k()}` }, /positive integer/],
    ['duplicate version', { TOKEN_VAULT_LOCAL_KEYS: `1:${k()},1:${k()}` }, /twice/],
    ['alias instead of key ARN', { TOKEN_VAULT_KMS_KEY_ARN: 'alias/token-vault' }, /full KMS key ARN/],
    [
      'previous version not older',
      { TOKEN_VAULT_KMS_KEY_ARN: KEY_ARN, TOKEN_VAULT_KMS_PREVIOUS_KEYS: `1:${OLD_ARN}` },
      /lower than/,
    ],
  ];
  for (const [name, env, message] of cases) {
    it(`refuses ${name}`, () => {
      for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
      const error = configError(() => tokenVault.currentKeyVersion());
      expect(error.message).toMatch(message);
      // Key material is never echoed back.
      for (const v of Object.values(env)) if (!v.startsWith('arn:')) expect(error.message).not.toContain(v);
    });
  }
});

describe('local key file', () => {
  it('is generated once with mode 0600 and reused afterwards', async () => {
    expect(existsSync(keyFile)).toBe(false);
    const sealed = await tokenVault.seal({ accessToken: 'kept-across-restarts' }, ctx);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const content = readFileSync(keyFile, 'utf8');
    expect(Buffer.from(content.trim(), 'base64')).toHaveLength(32);

    resetVaultForTests(); // a new container / process
    expect(await tokenVault.open(sealed, ctx)).toEqual({ accessToken: 'kept-across-restarts' });
    expect(readFileSync(keyFile, 'utf8')).toBe(content);
  });

  it('is refused when group or others can read it', async () => {
    await tokenVault.seal({ accessToken: 'x' }, ctx);
    chmodSync(keyFile, 0o644);
    resetVaultForTests();
    expect(configError(() => tokenVault.currentKeyVersion()).message).toMatch(/chmod 600/);
  });

  it('is not used when a key is given in the environment', async () => {
    vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', randomBytes(32).toString('base64'));
    await tokenVault.seal({ accessToken: 'x' }, ctx);
    expect(existsSync(keyFile)).toBe(false);
  });
});
