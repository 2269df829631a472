import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '#local/stack';

export interface TestUser {
  userId: string;
  email: string;
  password: string;
  accessToken: string;
  idToken: string;
  refreshToken: string;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestStack extends LocalStack {
  stateDir: string;
  /** Calls the local gateway; JSON in and out. Pass `raw` to send a body string as is. */
  api<T = unknown>(
    method: string,
    urlPath: string,
    options?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  /** Registers and signs in a fresh user through the API (the same path a frontend takes). */
  createUser(): Promise<TestUser>;
}

export type TestStackOptions = Pick<LocalStackOptions, 'autoConfirm' | 'onInvoke' | 'providers'>;

export async function startTestStack(
  options: TestStackOptions = {},
): Promise<TestStack & { cleanup: () => Promise<void> }> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'brand-stack-'));
  const stack = await startLocalStack({
    stateDir,
    port: 0,
    databaseUrl: inject('adminUrl'),
    database: `e2e_${randomBytes(6).toString('hex')}`,
    providers: 'sandbox',
    ...options,
  });
  const api: TestStack['api'] = async (method, urlPath, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${stack.url}${urlPath}`, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as never, text };
  };
  const createUser = async (): Promise<TestUser> => {
    const email = `user-${randomBytes(5).toString('hex')}@example.test`;
    const password = `Pw-${randomBytes(8).toString('hex')}-A1!`;
    const reg = await api<{ userId: string }>('POST', '/auth/register', {
      body: { email, password, name: 'Test User' },
    });
    if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${reg.text}`);
    const login = await api<{ accessToken: string; idToken: string; refreshToken: string }>(
      'POST',
      '/auth/login',
      {
        body: { email, password },
      },
    );
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
    return { userId: reg.body.userId, email, password, ...login.body };
  };
  return {
    ...stack,
    stateDir,
    api,
    createUser,
    cleanup: async () => {
      await stack.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Starts a full local stack (PostgreSQL database, cognito-local, gateway) for one test file. */
export function useTestStack(options: TestStackOptions = {}): () => TestStack {
  let stack: (TestStack & { cleanup: () => Promise<void> }) | undefined;
  beforeAll(async () => {
    stack = await startTestStack(options);
  });
  afterAll(async () => {
    await stack?.cleanup();
  });
  return () => {
    if (!stack) throw new Error('useTestStack: stack not ready');
    return stack;
  };
}
