import { beforeEach, expect, it, vi } from 'vitest';
import { InProcessQueue } from '#local/refresh-queue';
import { handleRefreshBatch, scheduleDueRefreshes } from '#shared/cloud-storage/refresh-fanout';
import {
  keyOf,
  kmsVault,
  newUserIds,
  openStored,
  readConnections,
  seedConnections,
  useRefreshSandbox,
} from '../support/refresh-rows.ts';

/**
 * Issue 20 (refresh worker throughput): the new tokens' data key is generated while the provider's token
 * endpoint answers, so the seal after the answer is local work under the row lock. Still exactly one data key
 * per sealed message, and a refresh that does not succeed drops its prepared key unused.
 */
const vault = kmsVault();
const { db, sandbox } = useRefreshSandbox({ vault });

beforeEach(() => vault.kms.clearCalls());

async function queueDue(provider: 'dropbox' | 'onedrive', count = 1) {
  const seeded = await seedConnections(
    db().name,
    sandbox,
    newUserIds(count).map((userId) => ({ userId, provider })),
  );
  vault.kms.clearCalls();
  const queue = new InProcessQueue();
  await scheduleDueRefreshes({ queue });
  return { seeded, queue };
}

it('asks KMS for the data key while the token endpoint is still answering; the seal after it calls no KMS', async () => {
  const { seeded, queue } = await queueDue('dropbox');
  sandbox.control.failNextTokenCalls('dropbox', { kind: 'delay', ms: 800 });
  const results: string[] = [];

  const worker = handleRefreshBatch(
    { Records: queue.receive(10) },
    { onResult: (_message, result) => results.push(result) },
  );
  // Both KMS calls of the row have happened while the provider has not answered yet.
  await vi.waitFor(
    () =>
      expect(vault.kms.calls.map((c) => [c.operation, c.outcome])).toEqual([
        ['Decrypt', 'ok'],
        ['GenerateDataKey', 'ok'],
      ]),
    { timeout: 700 },
  );
  expect(results).toEqual([]);

  expect(await worker).toEqual({ batchItemFailures: [] });
  expect(results).toEqual(['refreshed']);
  // Exactly two KMS calls for the row: nothing more after the token call.
  expect(vault.kms.calls).toHaveLength(2);
  const stored = (await readConnections(db().name)).get(keyOf(seeded[0]!))!;
  const opened = await openStored(stored);
  expect(opened.accessToken).not.toBe(seeded[0]!.tokens.accessToken);
  expect(opened.refreshToken).toBeTruthy();
});

it('a refresh the provider refuses drops its prepared data key: tokens kept, nothing sealed with it', async () => {
  const { seeded, queue } = await queueDue('onedrive');
  const before = (await readConnections(db().name)).get(keyOf(seeded[0]!))!.tokens_ciphertext;
  sandbox.control.failNextTokenCalls('onedrive', { kind: 'server_error' });
  const results: string[] = [];

  await handleRefreshBatch(
    { Records: queue.receive(10) },
    { onResult: (_message, result) => results.push(result) },
  );

  expect(results).toEqual(['transient']);
  // The price of overlapping: one GenerateDataKey made for a seal that did not happen (only on failures).
  expect(vault.kms.calls.map((c) => c.operation)).toEqual(['Decrypt', 'GenerateDataKey']);
  const stored = (await readConnections(db().name)).get(keyOf(seeded[0]!))!;
  expect(stored.tokens_ciphertext.equals(before)).toBe(true);
  expect(await openStored(stored)).toEqual(seeded[0]!.tokens);
});
