import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type LocalStack, startLocalStack } from '#local/stack';
import { type ApiClient, type ApiUser, apiClient } from '../../test/support/api-client.ts';
import { type FakeKms, startFakeKms } from '../../test/support/fake-kms.ts';

export type BenchUser = ApiUser;

export interface BenchStack {
  stack: LocalStack;
  kms: FakeKms;
  kmsKeyArn: string;
  /** Superuser connection to the stack's database (seeding only: RLS does not apply to it). */
  superuserUrl: string;
  /** The tests' API client (test/support/api-client.ts) against the stack's gateway. */
  api: ApiClient['request'];
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

  const client = apiClient(stack.url);
  const api = client.request;
  /** Registers and signs in through the API, as a frontend would (the users row is created at registration). */
  const createUser = (label: string) => client.createUser(label);

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
