import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type LocalStack, startLocalStack } from '#local/stack';
import { type FakeKms, startFakeKms } from '../../test/support/fake-kms.ts';

export interface BenchUser {
  userId: string;
  email: string;
  accessToken: string;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface BenchStack {
  stack: LocalStack;
  kms: FakeKms;
  kmsKeyArn: string;
  /** Superuser connection to the stack's database (seeding only: RLS does not apply to it). */
  superuserUrl: string;
  api<T = unknown>(
    method: string,
    urlPath: string,
    options?: { token?: string; body?: unknown; redirect?: 'manual' | 'follow' },
  ): Promise<ApiResponse<T>>;
  createUser(label: string): Promise<BenchUser>;
  stop(): Promise<void>;
}

const DATABASE = 'brand_bench';

/**
 * The full local stack of `npm start` (embedded PostgreSQL 17 in a temp dir, cognito-local, the local gateway,
 * the sandbox providers) with the token vault in KMS mode against the loopback KMS fake of the tests, so KMS
 * calls are counted by the fake rather than estimated. Everything listens on 127.0.0.1.
 */
export async function startBenchStack(log: (line: string) => void): Promise<BenchStack> {
  const kms = await startFakeKms();
  const kmsKeyArn = kms.createKey();
  process.env.TOKEN_VAULT_KMS_KEY_ARN = kmsKeyArn;
  process.env.TOKEN_VAULT_KMS_ENDPOINT = kms.endpoint;
  delete process.env.TOKEN_VAULT_LOCAL_KEY;
  delete process.env.TOKEN_VAULT_LOCAL_KEYS;
  // The fake checks that requests are SigV4-signed, not by whom.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'brand-bench-'));
  log(`  starting embedded PostgreSQL, cognito-local and the sandbox providers (${stateDir})`);
  const stack = await startLocalStack({ stateDir, port: 0, database: DATABASE, providers: 'sandbox' });
  if (!stack.postgres) throw new Error('expected the embedded PostgreSQL');
  const superuserUrl = stack.postgres.superuserUrl(DATABASE);

  const api: BenchStack['api'] = async (method, urlPath, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${stack.url}${urlPath}`, {
      method,
      headers,
      body,
      redirect: options.redirect ?? 'manual',
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, headers: res.headers, body: parsed as never, text };
  };

  /** Registers and signs in through the API, as a frontend would (the users row is created at registration). */
  const createUser = async (label: string): Promise<BenchUser> => {
    const email = `${label}-${randomBytes(4).toString('hex')}@bench.test`;
    const password = `Pw-${randomBytes(8).toString('hex')}-A1!`;
    const reg = await api<{ userId: string }>('POST', '/auth/register', {
      body: { email, password, name: `Bench ${label}` },
    });
    if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${reg.text}`);
    const login = await api<{ accessToken: string }>('POST', '/auth/login', { body: { email, password } });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
    return { userId: reg.body.userId, email, accessToken: login.body.accessToken };
  };

  return {
    stack,
    kms,
    kmsKeyArn,
    superuserUrl,
    api,
    createUser,
    stop: async () => {
      await stack.stop();
      await kms.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
