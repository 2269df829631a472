import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertSigningKeyConfigured, resetSigningKeyForTests, sign, verify } from '#shared/signing/key';
import { type FakeSecretsManager, startFakeSecretsManager } from '../support/fake-secrets-manager.ts';

/**
 * The server's signing key (issue 15, findings 8 and 9): a key file under the local state created on first use,
 * an inline key in tests, Secrets Manager in AWS (with a previous key during a rotation), fail closed in Lambda
 * without it; one derived key per purpose.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'signing-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
  resetSigningKeyForTests();
});

const parts = ['user', 'onedrive', 'folder', 'token'];

describe('local key file', () => {
  it('is created on first use, readable by its owner only, and the same key afterwards', async () => {
    const file = path.join(dir, 'state', 'signing.key');
    vi.stubEnv('SIGNING_KEY', undefined);
    vi.stubEnv('SIGNING_KEY_FILE', file);
    const tag = await sign('page-cursor', parts);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    resetSigningKeyForTests();
    expect(await verify('page-cursor', parts, tag)).toBe(true);
    expect((await sign('page-cursor', parts)).equals(tag)).toBe(true);
  });

  it('is refused when others may read it, and the error does not show the key', async () => {
    const file = path.join(dir, 'open.key');
    vi.stubEnv('SIGNING_KEY', undefined);
    vi.stubEnv('SIGNING_KEY_FILE', file);
    await sign('page-cursor', parts);
    chmodSync(file, 0o644);
    resetSigningKeyForTests();
    const key = readFileSync(file, 'utf8').trim();
    const error = await sign('page-cursor', parts).catch((e: Error) => e);
    expect(String(error)).toMatch(/chmod 600/);
    expect(String(error)).not.toContain(key);
  });
});

describe('signatures', () => {
  it('differ per purpose, per part and per key; a short inline key is refused without echoing it', async () => {
    vi.stubEnv('SIGNING_KEY', randomBytes(32).toString('base64'));
    const cursor = await sign('page-cursor', parts);
    expect(cursor).toHaveLength(32);
    expect((await sign('pkce-verifier', parts)).equals(cursor)).toBe(false);
    // Length-prefixed parts: moving a character from one part to the next is another message.
    expect((await sign('page-cursor', ['use', 'ronedrive', 'folder', 'token'])).equals(cursor)).toBe(false);
    expect(await verify('pkce-verifier', parts, cursor)).toBe(false);
    expect(await verify('page-cursor', parts, cursor.subarray(0, 31))).toBe(false);
    vi.stubEnv('SIGNING_KEY', randomBytes(32).toString('base64'));
    expect(await verify('page-cursor', parts, cursor)).toBe(false);
    const short = randomBytes(16).toString('base64');
    vi.stubEnv('SIGNING_KEY', short);
    const error = await sign('page-cursor', parts).catch((e: Error) => e);
    expect(String(error)).toMatch(/at least 32 bytes/);
    expect(String(error)).not.toContain(short);
  });
});

describe('in AWS', () => {
  let sm: FakeSecretsManager;
  beforeAll(async () => {
    sm = await startFakeSecretsManager();
  });
  afterAll(() => sm.close());

  it('fails closed in Lambda without a secret (the capability init check)', () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'cloud-storage-list-files');
    vi.stubEnv('SIGNING_KEY_SECRET_ARN', undefined);
    expect(() => assertSigningKeyConfigured()).toThrow(/SIGNING_KEY_SECRET_ARN/);
    vi.stubEnv('SIGNING_KEY_SECRET_ARN', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing');
    expect(() => assertSigningKeyConfigured()).not.toThrow();
  });

  it('reads the key from Secrets Manager; during a rotation the previous key still verifies', async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing-key';
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'cloud-storage-list-files');
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', sm.endpoint);
    vi.stubEnv('SIGNING_KEY_SECRET_ARN', arn);
    const first = randomBytes(48).toString('base64url');
    sm.put(arn, { key: first });
    const old = await sign('page-cursor', parts);
    expect(await verify('page-cursor', parts, old)).toBe(true);

    sm.put(arn, { key: randomBytes(48).toString('base64url'), previousKey: first });
    resetSigningKeyForTests(); // what the 5-minute re-read does in a running container
    expect(await verify('page-cursor', parts, old)).toBe(true);
    expect((await sign('page-cursor', parts)).equals(old)).toBe(false);

    sm.put(arn, { key: randomBytes(48).toString('base64url') });
    resetSigningKeyForTests();
    expect(await verify('page-cursor', parts, old)).toBe(false);

    sm.put(arn, { key: 'too short' });
    resetSigningKeyForTests();
    const error = await sign('page-cursor', parts).catch((e: Error) => e);
    expect(String(error)).toMatch(/at least 32 characters/);
    expect(String(error)).not.toContain('too short');
  });
});
