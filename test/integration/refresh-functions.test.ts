import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as scheduler } from '#functions/token-refresh/handler';
import { handler as worker } from '#functions/token-refresh/worker';
import { workers } from '#functions/workers';
import { InProcessQueue, runLocalRefresh } from '#local/refresh-queue';
import type { Sandbox } from '#local/sandbox/index';
import { WORKER_CONCURRENCY } from '#shared/cloud-storage/refresh-fanout';
import { useLocalRefreshQueue } from '#shared/cloud-storage/refresh-queue';
import { PROVIDERS } from '#shared/providers/types';
import { resetVaultForTests } from '#shared/vault/token-vault';
import { captureOutput, fakeLambdaContext } from '../support/capture-output.ts';
import { useTestDatabase, withClient } from '../support/db.ts';
import { type FakeAwsEvents, startFakeAwsEvents } from '../support/fake-aws-events.ts';
import {
  clearRefreshTables,
  kmsVault,
  newUserIds,
  openStored,
  readConnections,
  seedConnections,
  startRefreshSandbox,
} from '../support/refresh-rows.ts';
import { superuserUrl } from '../support/vault-rows.ts';

/**
 * The refresh functions as they ship (issue 17 item 5): the scheduled function only claims due ids and sends them
 * to the refresh queue, 10 per SendMessageBatch (real SQS client against a loopback SQS); the SQS-triggered worker
 * refreshes them, reports partial batch failures, emits one metric per outcome and stops its batch on a key-level
 * vault failure. Locally the same handlers run over the in-process queue (`npm start`, `npm run refresh`).
 */
// Every invocation starts at the configured level (Powertools resets it per invocation): INFO, so the summary
// lines are written.
const configuredLevel = vi.hoisted(() => {
  const before = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'INFO';
  return before;
});
const db = useTestDatabase();
let sandbox: Sandbox;
let sqs: FakeAwsEvents;
const vault = kmsVault();
/** The queue's URL on the loopback SQS: the SQS client sends to the host of the QueueUrl. */
let QUEUE_URL: string;

beforeAll(async () => {
  vi.stubEnv('DB_POOL_MAX', '10');
  await vault.setUp();
  sandbox = await startRefreshSandbox();
  sqs = await startFakeAwsEvents();
  QUEUE_URL = `${sqs.endpoint}/123456789012/token-refresh`;
});
beforeEach(async () => {
  await clearRefreshTables(db().name);
  await withClient(superuserUrl(db().name), (c) => c.query('delete from provider_refresh_pauses'));
  sandbox.control.reset();
  sqs.clear();
  vault.kms.setKeyEnabled(vault.keyArn, true);
  vault.kms.clearCalls();
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const name of ['REFRESH_QUEUE_URL', 'AWS_LAMBDA_FUNCTION_NAME']) vi.stubEnv(name, undefined);
  useLocalRefreshQueue(undefined);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  if (configuredLevel === undefined) delete process.env.LOG_LEVEL;
  else process.env.LOG_LEVEL = configuredLevel;
  resetVaultForTests();
  await sandbox?.stop();
  await sqs?.close();
  await vault.tearDown();
});

const refreshCalls = () => PROVIDERS.reduce((n, p) => n + sandbox.control.tokenCalls(p, 'refresh_token'), 0);

/** `count` due connections, one provider each, round robin. */
async function seedDue(count: number) {
  const users = newUserIds(count);
  return seedConnections(
    db().name,
    sandbox,
    users.map((userId, i) => ({ userId, provider: PROVIDERS[i % PROVIDERS.length]! })),
  );
}

describe('the refresh scheduler (EventBridge → SQS)', () => {
  it('claims the due ids and sends them to the refresh queue 10 per batch, calling no provider and no KMS', async () => {
    vi.stubEnv('REFRESH_QUEUE_URL', QUEUE_URL);
    const seeded = await seedDue(23);
    vault.kms.clearCalls();
    const output = captureOutput();

    const result = await scheduler({}, fakeLambdaContext(110_000) as never);
    vi.restoreAllMocks();

    expect(result).toMatchObject({ claimed: 23, batches: 3, released: 0 });
    const bodies = sqs.messages.get(QUEUE_URL) ?? [];
    expect(bodies).toHaveLength(23);
    const messages = bodies.map((b) => JSON.parse(b) as { id: string; userId: string; provider: string });
    expect(new Set(messages.map((m) => `${m.userId}/${m.provider}`))).toEqual(
      new Set(seeded.map((s) => `${s.userId}/${s.provider}`)),
    );
    // Ids only: nothing of the tokens travels through the queue.
    for (const body of bodies)
      expect(Object.keys(JSON.parse(body)).sort()).toEqual(['id', 'provider', 'userId']);
    expect(refreshCalls()).toBe(0);
    expect(vault.kms.calls).toHaveLength(0);
    expect(output.metrics()).toMatchObject({
      'BrandCloud/RefreshIdsQueued': 23,
      'BrandCloud/RefreshSendFailures': 0,
    });

    // Claimed ids are leased: a second run sends nothing until they are refreshed or the lease ends.
    const again = await scheduler({}, fakeLambdaContext(110_000) as never);
    expect(again).toMatchObject({ claimed: 0 });
    expect(sqs.messages.get(QUEUE_URL)).toHaveLength(23);
  });

  it('fails closed in Lambda without a queue URL: nothing is claimed', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'token-refresh');
    await seedDue(3);

    await expect(scheduler({}, fakeLambdaContext(110_000) as never)).rejects.toThrow(/REFRESH_QUEUE_URL/);
    const claimed = await withClient(superuserUrl(db().name), async (c) => {
      const { rows } = await c.query(
        'select count(*)::int as n from user_cloud_storage_tokens where refresh_claimed_until is not null',
      );
      return rows[0].n as number;
    });
    expect(claimed).toBe(0);
  });
});

describe('the refresh worker (SQS → Lambda)', () => {
  it('refreshes each queued connection once: one metric per outcome, one summary line, no token printed', async () => {
    const queue = new InProcessQueue();
    useLocalRefreshQueue(queue);
    const seeded = await seedDue(6);
    sandbox.control.failNextTokenCalls('google_drive', { kind: 'server_error' });
    await scheduler({}, fakeLambdaContext(110_000) as never);
    const records = queue.receive(10);
    expect(records).toHaveLength(6);
    // A duplicate of one message (standard queues may deliver twice) in the same batch.
    const event: SQSEvent = { Records: [...records, { ...records[1]!, messageId: 'duplicate' }] };
    const output = captureOutput();

    const response = await worker(event, fakeLambdaContext(55_000) as never);
    vi.restoreAllMocks();

    expect(response).toEqual({ batchItemFailures: [] });
    expect(refreshCalls()).toBe(6);
    const metrics = output.metrics();
    expect(metrics).toMatchObject({
      'BrandCloud/TokensRefreshed': 5,
      'BrandCloud/RefreshFailedTransient': 1,
      'BrandCloud/RefreshSkipped': 1,
      'BrandCloud/RefreshConfigErrors': 0,
      'BrandCloud/RefreshErrors': 0,
      'BrandCloud/RefreshDeferred': 0,
    });
    const blobs = output.lines().filter((line) => line._aws);
    expect(blobs).toHaveLength(1);
    expect(blobs[0]).toMatchObject({ service: 'token-refresh' });
    const summaries = output.lines().filter((line) => line.message === 'Token refresh worker');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ summary: { refreshed: 5, transient: 1, skipped: 1 }, retried: 0 });

    const secrets = seeded.flatMap((s) => [s.tokens.accessToken, s.tokens.refreshToken!]);
    for (const row of (await readConnections(db().name)).values()) {
      const tokens = await openStored(row);
      secrets.push(tokens.accessToken, tokens.refreshToken!);
    }
    const text = output.text();
    expect(text).toContain('Token refresh worker');
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('a disabled vault key stops the batch: no provider call, the rest comes back as batch item failures', async () => {
    const queue = new InProcessQueue();
    useLocalRefreshQueue(queue);
    const seeded = await seedDue(10);
    const before = new Map(
      [...(await readConnections(db().name))].map(([key, row]) => [key, row.tokens_ciphertext]),
    );
    await scheduler({}, fakeLambdaContext(110_000) as never);
    vault.kms.setKeyEnabled(vault.keyArn, false);
    vault.kms.clearCalls();
    const output = captureOutput();

    const response = await worker({ Records: queue.receive(10) }, fakeLambdaContext(55_000) as never);
    vi.restoreAllMocks();

    const attempted = vault.kms.calls.length;
    expect(attempted).toBeGreaterThanOrEqual(1);
    // At most one attempt per record in flight (WORKER_CONCURRENCY at once), then nothing more.
    expect(attempted).toBeLessThanOrEqual(WORKER_CONCURRENCY);
    expect(vault.kms.calls.every((c) => c.outcome === 'DisabledException')).toBe(true);
    expect(response.batchItemFailures).toHaveLength(seeded.length - attempted);
    expect(sandbox.control.tokenRequests()).toHaveLength(0);
    expect(output.metrics()).toMatchObject({
      'BrandCloud/RefreshConfigErrors': attempted,
      'BrandCloud/RefreshVaultErrors': attempted,
      'BrandCloud/RefreshDeferred': seeded.length - attempted,
      'BrandCloud/TokensRefreshed': 0,
    });
    for (const [key, row] of await readConnections(db().name)) {
      expect(row.tokens_ciphertext.equals(before.get(key)!), key).toBe(true);
    }
  });

  it('locally the same handlers run over the in-process queue: every due connection refreshed exactly once', async () => {
    await seedDue(25);
    const queue = new InProcessQueue();

    const run = await runLocalRefresh(queue, { workers: 3 });

    expect(run).toMatchObject({ scheduled: { claimed: 25 }, crashed: 0, left: 0 });
    // In batches of the deployed size (functions/workers.ts), as SQS would hand them over.
    expect(run.invocations).toBe(Math.ceil(25 / workers['token-refresh/worker'].batchSize));
    expect(refreshCalls()).toBe(25);
    for (const row of (await readConnections(db().name)).values()) {
      expect(row.last_refreshed_at, `${row.user_id}/${row.provider}`).not.toBeNull();
    }
  });
});
