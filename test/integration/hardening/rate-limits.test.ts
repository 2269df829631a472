import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_LIVE_ATTEMPTS } from '#shared/cloud-storage/connection-store';
import { resetVaultForTests } from '#shared/vault/token-vault';
import { insertUsers, useTestDatabase } from '../../support/db.ts';
import { asSuperuser, call } from '../resources/helpers.ts';

/**
 * Finding 6 of the security review: live OAuth attempts are capped per user and provider (the oldest goes in the
 * same statement), and connect and import are rate-limited per user, in PostgreSQL (429 + Retry-After).
 */
const db = useTestDatabase();

beforeAll(() => {
  vi.stubEnv('DROPBOX_APP_KEY', 'app-key');
  vi.stubEnv('DROPBOX_APP_SECRET', 'app-secret');
  vi.stubEnv('OAUTH_REDIRECT_BASE_URL', 'https://api.example.test');
  vi.stubEnv('FRONTEND_URL', 'https://app.example.test');
  vi.stubEnv('PROVIDER_SECRET_ARN', undefined);
  vi.stubEnv('TOKEN_VAULT_KMS_KEY_ARN', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEYS', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', randomBytes(32).toString('base64'));
  resetVaultForTests();
});
afterAll(() => {
  vi.unstubAllEnvs();
  resetVaultForTests();
});

async function newUser(): Promise<string> {
  const userId = randomUUID();
  await insertUsers(db().appUrl, userId);
  return userId;
}

const connect = (userId: string) =>
  call('cloud-storage/connect', { userId, params: { provider: 'dropbox' } });

const stateHash = (authorizationUrl: string) =>
  createHash('sha256').update(new URL(authorizationUrl).searchParams.get('state')!).digest('hex');

async function liveAttempts(userId: string): Promise<string[]> {
  const rows = await asSuperuser<{ h: string }>(
    db().name,
    "select encode(state_hash, 'hex') as h from oauth_states where user_id = $1 and expires_at > now()",
    [userId],
  );
  return rows.map((r) => r.h).sort();
}

/** The declared 429: a rate-limited problem with a Retry-After within the window (60 s in these tests). */
function expectRateLimited(res: {
  status: number;
  headers: Record<string, unknown>;
  body: { type?: unknown };
}) {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.body.type).toMatch(/rate-limited$/);
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

const auditCount = async (userId: string) =>
  (
    await asSuperuser<{ n: number }>(
      db().name,
      'select count(*)::int as n from audit_log where user_id = $1',
      [userId],
    )
  )[0]!.n;

describe('live OAuth attempts', () => {
  it(`at most ${MAX_LIVE_ATTEMPTS} per user and provider: starting another drops the oldest`, async () => {
    vi.stubEnv('RATE_LIMIT_CONNECT', '100/60');
    const userId = await newUser();
    const hashes: string[] = [];
    for (let i = 0; i < MAX_LIVE_ATTEMPTS + 3; i++) {
      const response = await connect(userId);
      expect(response.status).toBe(200);
      hashes.push(stateHash(response.body.authorizationUrl));
    }
    expect(await liveAttempts(userId)).toEqual(hashes.slice(-MAX_LIVE_ATTEMPTS).sort());
  });

  it('the cap holds for a burst of concurrent starts', async () => {
    vi.stubEnv('RATE_LIMIT_CONNECT', '100/60');
    const userId = await newUser();
    const responses = await Promise.all(Array.from({ length: 12 }, () => connect(userId)));
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect((await liveAttempts(userId)).length).toBe(MAX_LIVE_ATTEMPTS);
  });
});

describe('per-user rate limits', () => {
  it('connect: the request over the limit is a 429 with Retry-After, writes nothing; other users are not affected', async () => {
    vi.stubEnv('RATE_LIMIT_CONNECT', '3/60');
    const userId = await newUser();
    for (let i = 0; i < 3; i++) expect((await connect(userId)).status).toBe(200);
    const attempts = await liveAttempts(userId);
    const audit = await auditCount(userId);
    const limited = await connect(userId);
    expectRateLimited(limited);
    expect(await liveAttempts(userId)).toEqual(attempts);
    expect(await auditCount(userId)).toBe(audit);
    expect((await connect(await newUser())).status).toBe(200);
  });

  it('connect: the window ends, the user may start again', async () => {
    vi.stubEnv('RATE_LIMIT_CONNECT', '1/1');
    const userId = await newUser();
    expect((await connect(userId)).status).toBe(200);
    expect((await connect(userId)).status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await connect(userId)).status).toBe(200);
  });

  it('import: counted before any provider work; over the limit → 429', async () => {
    vi.stubEnv('RATE_LIMIT_IMPORT', '2/60');
    const userId = await newUser();
    const body = { provider: 'dropbox', fileId: 'id:abc123', category: 'messaging' };
    expect((await call('brand-voice-assets/import', { userId, body })).status).toBe(404);
    expect((await call('brand-voice-assets/import', { userId, body })).status).toBe(404);
    const limited = await call('brand-voice-assets/import', { userId, body });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('upload: the request over the limit is a 429 with Retry-After; no asset, no audit row; invalid requests do not count', async () => {
    vi.stubEnv('RATE_LIMIT_UPLOAD', '2/60');
    // Presigning is local computation: a bucket name and credentials are all it needs (no request is sent).
    vi.stubEnv('DOCUMENTS_BUCKET', 'brand-documents-test');
    vi.stubEnv('DOCUMENTS_S3_ENDPOINT', 'http://127.0.0.1:9');
    vi.stubEnv('DOCUMENTS_S3_ACCESS_KEY_ID', 'test');
    vi.stubEnv('DOCUMENTS_S3_SECRET_ACCESS_KEY', 'test');
    const userId = await newUser();
    const body = (size: number) => ({
      title: 'Guide',
      category: 'brand_guidelines',
      fileName: 'guide.pdf',
      contentType: 'application/pdf',
      size,
    });
    const assets = async () =>
      (
        await asSuperuser<{ n: number }>(
          db().name,
          'select count(*)::int as n from brand_voice_assets where user_id = $1',
          [userId],
        )
      )[0]!.n;
    // A declared size over the limit is refused before anything is counted.
    expect((await call('brand-voice-assets/upload', { userId, body: body(60 * 1024 * 1024) })).status).toBe(
      413,
    );
    for (let i = 0; i < 2; i++) {
      expect((await call('brand-voice-assets/upload', { userId, body: body(1000) })).status).toBe(201);
    }
    const audit = await auditCount(userId);
    const limited = await call('brand-voice-assets/upload', { userId, body: body(1000) });
    expectRateLimited(limited);
    expect(await assets()).toBe(2);
    expect(await auditCount(userId)).toBe(audit);
    // Per user: another user still uploads.
    expect(
      (await call('brand-voice-assets/upload', { userId: await newUser(), body: body(1000) })).status,
    ).toBe(201);
  });
});
