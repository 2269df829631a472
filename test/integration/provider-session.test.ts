import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Sandbox, startSandbox, trustSandboxCertificate } from '#local/sandbox/index';
import { type SessionOptions, withProviderSession } from '#shared/cloud-storage/provider-session';
import { BadGateway, TooManyRequests } from '#shared/errors';
import type { Provider } from '#shared/providers/types';
import { resetVaultForTests, tokenVault } from '#shared/vault/token-vault';
import { insertUsers, useTestDatabase, withClient } from '../support/db.ts';
import { insertConnection, superuserUrl } from '../support/vault-rows.ts';

/**
 * The provider session against a real PostgreSQL and the loopback sandbox, with the clock-dependent parts
 * injected (random, sleep, deadline): which delays a retry waits, that no retry starts past the deadline, the
 * single refresh after a 401, and the cheap last_used_at bookkeeping.
 */
const db = useTestDatabase();
let sandbox: Sandbox;
let untrust: () => void;

beforeAll(async () => {
  vi.stubEnv('TOKEN_VAULT_KMS_KEY_ARN', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEYS', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', randomBytes(32).toString('base64'));
  resetVaultForTests();
  sandbox = await startSandbox();
  untrust = trustSandboxCertificate(sandbox.caPem);
  vi.stubEnv('PROVIDER_ENDPOINTS', JSON.stringify(sandbox.endpoints));
  vi.stubEnv('DROPBOX_APP_KEY', sandbox.clients.dropbox.clientId);
  vi.stubEnv('DROPBOX_APP_SECRET', sandbox.clients.dropbox.clientSecret);
});
afterAll(async () => {
  await sandbox?.stop();
  untrust?.();
  vi.unstubAllEnvs();
  resetVaultForTests();
});

async function connectedUser(provider: Provider = 'dropbox'): Promise<string> {
  const userId = randomUUID();
  await insertUsers(db().appUrl, userId);
  const issued = sandbox.control.issueTokens(provider);
  const sealed = await tokenVault.seal(
    {
      accessToken: issued.accessToken,
      refreshToken: issued.refreshToken!,
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    },
    { userId, provider },
  );
  await insertConnection(userId, provider, sealed);
  return userId;
}

/** A request's deadline, as the HTTP handler hands one over: 10 s from now unless a test sets its own. */
const request = (options: Partial<SessionOptions> = {}): SessionOptions => ({
  deadline: Date.now() + 10_000,
  ...options,
});
const listRoot = (userId: string, options: Partial<SessionOptions> = {}) =>
  withProviderSession(userId, 'dropbox', (files) => files.listFolder({ pageSize: 5 }), request(options));

const statuses = (endpoint: string) => sandbox.control.apiCalls('dropbox', endpoint).map((c) => c.status);

describe('retries', () => {
  it('wait a capped, jittered backoff between attempts', async () => {
    const userId = await connectedUser();
    const sleeps: number[] = [];
    const start = statuses('list_folder').length;
    sandbox.control.failNextApiCalls(
      'dropbox',
      { kind: 'server_error' },
      { count: 2, endpoint: 'list_folder' },
    );
    const page = await listRoot(userId, {
      retryBaseMs: 100,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(page.files.length).toBeGreaterThan(0);
    expect(sleeps).toEqual([50, 100]);
    expect(statuses('list_folder').slice(start)).toEqual([500, 500, 200]);
  });

  it("honour a 503's Retry-After when it fits before the deadline", async () => {
    const userId = await connectedUser();
    const sleeps: number[] = [];
    sandbox.control.failNextApiCalls('dropbox', { kind: 'unavailable', retryAfterSeconds: 2 });
    await listRoot(userId, {
      retryBaseMs: 100,
      random: () => 0,
      deadline: Date.now() + 20_000,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(sleeps).toEqual([2000]);
  });

  it('are not started when they could not finish before the deadline: 502 after one attempt', async () => {
    const userId = await connectedUser();
    const sleeps: number[] = [];
    const start = statuses('list_folder').length;
    sandbox.control.failNextApiCalls(
      'dropbox',
      { kind: 'server_error' },
      { count: 1, endpoint: 'list_folder' },
    );
    const error = await listRoot(userId, {
      retryBaseMs: 0,
      deadline: Date.now() + 300,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadGateway);
    expect(sleeps).toEqual([]);
    expect(statuses('list_folder').slice(start)).toEqual([500]);
  });
});

describe('Dropbox refusing simultaneous identical listings (429 too_many_requests, Retry-After 1; issue 22 finding 5)', () => {
  it('two identical listings at once, as from two containers: the refused one waits the Retry-After (plus jitter) once and succeeds', async () => {
    expect(sandbox.control.behaviour('dropbox').throttleIdenticalListings).toBe(true);
    const userId = await connectedUser();
    const start = statuses('list_folder').length;
    const sleeps: number[] = [];
    const options: Partial<SessionOptions> = {
      random: () => 0.25,
      sleep: async (ms) => {
        sleeps.push(ms);
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
    };
    // No coalescing here (that is the files service's, per process): both reach Dropbox. A slow listing makes
    // "at once" certain whatever the two sessions' database round trips take.
    sandbox.control.configure('dropbox', { listingLatencyMs: 400 });
    const pages = await Promise.all([listRoot(userId, options), listRoot(userId, options)]).finally(() =>
      sandbox.control.configure('dropbox', { listingLatencyMs: 30 }),
    );
    expect(pages[0]).toEqual(pages[1]);
    expect(statuses('list_folder').slice(start).sort()).toEqual([200, 200, 429]);
    expect(sleeps).toEqual([1250]);
  });

  it('a throttled retry that would not finish before the deadline is not made: 429 with the Retry-After', async () => {
    const userId = await connectedUser();
    const start = statuses('list_folder').length;
    sandbox.control.failNextApiCalls(
      'dropbox',
      { kind: 'rate_limited', retryAfterSeconds: 1 },
      { endpoint: 'list_folder' },
    );
    const error = await listRoot(userId, { deadline: Date.now() + 1_500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyRequests);
    expect((error as TooManyRequests).headers).toEqual({ 'retry-after': '1' });
    expect(statuses('list_folder').slice(start)).toEqual([429]);
  });

  it('is retried once only: a second refusal is the 429', async () => {
    const userId = await connectedUser();
    const start = statuses('list_folder').length;
    sandbox.control.failNextApiCalls(
      'dropbox',
      { kind: 'rate_limited', retryAfterSeconds: 1 },
      { count: 2, endpoint: 'list_folder' },
    );
    const sleeps: number[] = [];
    const error = (await listRoot(userId, {
      random: () => 0,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    }).catch((e: unknown) => e)) as TooManyRequests;
    expect(error).toBeInstanceOf(TooManyRequests);
    expect(sleeps).toEqual([1000]);
    expect(statuses('list_folder').slice(start)).toEqual([429, 429]);
  });
});

describe('401 and errors that are not provider failures', () => {
  it('a 401 refreshes once and retries; a second 401 is a 502, not a loop', async () => {
    const userId = await connectedUser();
    const refreshes = sandbox.control.tokenCalls('dropbox', 'refresh_token');
    let attempts = 0;
    const error = await withProviderSession(
      userId,
      'dropbox',
      async () => {
        attempts += 1;
        throw Object.assign(new Error('Response failed with a 401 code'), {
          name: 'DropboxResponseError',
          status: 401,
          error: { error: { '.tag': 'invalid_access_token' } },
        });
      },
      request(),
    ).catch((e: unknown) => e);
    expect(attempts).toBe(2);
    expect(sandbox.control.tokenCalls('dropbox', 'refresh_token') - refreshes).toBe(1);
    expect(error).toBeInstanceOf(BadGateway);
  });

  it('our own bugs pass through untouched and are not retried', async () => {
    const userId = await connectedUser();
    let attempts = 0;
    const error = await withProviderSession(
      userId,
      'dropbox',
      async () => {
        attempts += 1;
        throw new TypeError('something is not a function');
      },
      request(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(attempts).toBe(1);
  });
});

describe('refresh ahead of expiry', () => {
  const expireIn = (userId: string, seconds: number) =>
    withClient(superuserUrl(db().name), (c) =>
      c.query(
        `update user_cloud_storage_tokens set token_expires_at = now() + make_interval(secs => $2) where user_id = $1`,
        [userId, seconds],
      ),
    );

  it('a failing token endpoint does not fail a call the current token can still serve', async () => {
    const userId = await connectedUser();
    await expireIn(userId, 180); // inside the 5-minute margin, but good for a while yet
    const refreshes = sandbox.control.tokenCalls('dropbox', 'refresh_token');
    sandbox.control.failNextTokenCalls('dropbox', { kind: 'server_error' });
    const page = await listRoot(userId, {});
    expect(page.files.length).toBeGreaterThan(0);
    expect(sandbox.control.tokenCalls('dropbox', 'refresh_token') - refreshes).toBe(1);
  });

  it('but does when the token is about to expire: 502', async () => {
    const userId = await connectedUser();
    await expireIn(userId, 20);
    const calls = sandbox.control.apiCalls('dropbox').length;
    sandbox.control.failNextTokenCalls('dropbox', { kind: 'server_error' });
    const error = await listRoot(userId, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadGateway);
    expect(sandbox.control.apiCalls('dropbox').length).toBe(calls);
  });

  it('a successful refresh ahead of expiry is used right away', async () => {
    const userId = await connectedUser();
    await expireIn(userId, 120);
    const refreshes = sandbox.control.tokenCalls('dropbox', 'refresh_token');
    await listRoot(userId, {});
    expect(sandbox.control.tokenCalls('dropbox', 'refresh_token') - refreshes).toBe(1);
    const last = sandbox.control.apiCalls('dropbox', 'list_folder').at(-1)!;
    expect(sandbox.control.tokenStatus('dropbox', last.bearer!)).toBe('active');
    // The stored expiry moved on: the next call needs no refresh.
    await listRoot(userId, {});
    expect(sandbox.control.tokenCalls('dropbox', 'refresh_token') - refreshes).toBe(1);
  });
});

describe('last_used_at', () => {
  const lastUsed = async (userId: string) =>
    withClient(superuserUrl(db().name), async (c) => {
      const { rows } = await c.query<{ last_used_at: Date | string | null }>(
        'select last_used_at from user_cloud_storage_tokens where user_id = $1',
        [userId],
      );
      const value = rows[0]?.last_used_at;
      return value ? new Date(value).toISOString() : null;
    });

  it('is recorded at most once a minute, and never waits for a locked row', async () => {
    const userId = await connectedUser();
    await listRoot(userId, {});
    const first = await lastUsed(userId);
    expect(first).not.toBeNull();
    await listRoot(userId, {});
    expect(await lastUsed(userId)).toBe(first);

    // Two minutes later, while another transaction holds the row (say, the scheduled refresh): the call goes
    // ahead without the bookkeeping instead of queueing behind the lock.
    const old = new Date(Date.parse(first!) - 120_000).toISOString();
    await withClient(superuserUrl(db().name), async (c) => {
      await c.query('update user_cloud_storage_tokens set last_used_at = $2 where user_id = $1', [
        userId,
        old,
      ]);
      await c.query('begin');
      await c.query('select 1 from user_cloud_storage_tokens where user_id = $1 for update', [userId]);
      try {
        await listRoot(userId, {});
      } finally {
        await c.query('commit');
      }
    });
    expect(await lastUsed(userId)).toBe(old);
    await listRoot(userId, {});
    expect(Date.parse((await lastUsed(userId))!)).toBeGreaterThan(Date.parse(old));
  });
});
