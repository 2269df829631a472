import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '#local/stack';
import { type ApiClient, type ApiResponse, type ApiUser, apiClient } from './api-client.ts';
import { createContractChecker } from './contract.ts';

export type TestUser = ApiUser;
export type { ApiResponse };

export interface TestStack extends LocalStack {
  stateDir: string;
  /** Calls the local gateway; JSON in and out (test/support/api-client.ts). */
  api: ApiClient['request'];
  /** Registers and signs in a fresh user through the API (the same path a frontend takes). */
  createUser(): Promise<TestUser>;
  /**
   * Responses `api` received that the OpenAPI document does not declare (status, media type or schema).
   * `cleanup` fails when there are any: the contract test of every e2e run.
   */
  contractViolations: string[];
}

export type TestStackOptions = Pick<LocalStackOptions, 'autoConfirm' | 'onInvoke' | 'providers' | 'webApp'>;

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
  const contract = createContractChecker();
  const contractViolations: string[] = [];
  const client = apiClient(stack.url, (method, urlPath, status, headers, text) => {
    const violation = contract.check(method, urlPath, status, headers.get('content-type'), text);
    if (violation) contractViolations.push(violation);
  });
  const api = client.request;
  const createUser = () => client.createUser();
  return {
    ...stack,
    stateDir,
    api,
    createUser,
    contractViolations,
    cleanup: async () => {
      await stack.stop();
      await rm(stateDir, { recursive: true, force: true });
      if (contractViolations.length > 0) {
        throw new Error(
          `${contractViolations.length} response(s) outside the OpenAPI contract:\n${[...new Set(contractViolations)].join('\n')}`,
        );
      }
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
