import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clientTxRunner, rotateTokenKeys, type TxRunner } from '#shared/cloud-storage/key-rotation';
import { type Tx, withRefresher } from '#shared/db/tenant';
import type { Provider } from '#shared/providers/types';
import { resetVaultForTests, type TokenSet, tokenVault } from '#shared/vault/token-vault';
import { insertUsers, useTestDatabase } from '../support/db.ts';
import { insertConnection, insertPending, readSealedRows, superuserUrl } from '../support/vault-rows.ts';

const db = useTestDatabase();
const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const K3 = randomBytes(32).toString('base64');
const USERS = [
  'aa000000-0000-4000-8000-000000000001',
  'aa000000-0000-4000-8000-000000000002',
  'aa000000-0000-4000-8000-000000000003',
];
const PROVIDERS: Provider[] = ['google_drive', 'onedrive', 'dropbox'];
const tokensFor = (userId: string, provider: Provider): TokenSet => ({
  accessToken: `access-${userId}-${provider}`,
  refreshToken: `refresh-${userId}-${provider}`,
  expiresAt: '2030-01-01T00:00:00.000Z',
});

function useKeys(keys: string): void {
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEYS', keys);
  resetVaultForTests();
}

async function versions(): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (const row of await readSealedRows(db().name, 'user_cloud_storage_tokens')) {
    counts[row.key_version] = (counts[row.key_version] ?? 0) + 1;
  }
  return counts;
}

/** Opens every stored row (connections and pending) with the currently configured keys. */
async function openAll(): Promise<void> {
  for (const table of ['user_cloud_storage_tokens', 'pending_cloud_connections'] as const) {
    for (const row of await readSealedRows(db().name, table)) {
      const ctx = { userId: row.user_id, provider: row.provider };
      expect(
        await tokenVault.open({ ciphertext: row.tokens_ciphertext, keyVersion: row.key_version }, ctx),
      ).toEqual(tokensFor(row.user_id, row.provider));
    }
  }
}

let admin: pg.Client;
let pendingTx: TxRunner;

beforeAll(async () => {
  vi.stubEnv('TOKEN_VAULT_KMS_KEY_ARN', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', undefined);
  useKeys(`1:${K1}`);
  await insertUsers(db().appUrl, ...USERS);
  for (const userId of USERS) {
    for (const provider of PROVIDERS) {
      await insertConnection(
        userId,
        provider,
        await tokenVault.seal(tokensFor(userId, provider), { userId, provider }),
      );
    }
  }
  // Two pending connections, reachable only through a cross-tenant (operator) connection.
  for (const provider of ['onedrive', 'dropbox'] as const) {
    const ctx = { userId: USERS[0]!, provider };
    await insertPending(ctx.userId, provider, await tokenVault.seal(tokensFor(ctx.userId, provider), ctx));
  }
  admin = new pg.Client({ connectionString: superuserUrl(db().name) });
  await admin.connect();
  pendingTx = clientTxRunner(admin);
});
afterAll(async () => {
  await admin?.end();
  vi.unstubAllEnvs();
  resetVaultForTests();
});

describe('npm run vault:rotate (rotateTokenKeys)', () => {
  it('moves every row from key 1 to key 2 across interrupted runs; key 1 is then no longer needed', async () => {
    expect(await versions()).toEqual({ 1: 9 });
    useKeys(`1:${K1},2:${K2}`);

    // Run 1: bounded to one batch.
    const first = await rotateTokenKeys({ batchSize: 4, maxBatches: 1 });
    expect(first.tables[0]).toMatchObject({ rotated: 4, batches: 1, remaining: 5, failed: 0 });
    expect(first.complete).toBe(false);
    expect(await versions()).toEqual({ 1: 5, 2: 4 });

    // Run 2: aborted (Ctrl-C) after its first batch; that batch commits, nothing else happens.
    const controller = new AbortController();
    const second = await rotateTokenKeys({
      batchSize: 2,
      signal: controller.signal,
      pendingTx,
      onBatch: () => controller.abort(),
    });
    expect(second.tables).toHaveLength(1);
    expect(second.tables[0]).toMatchObject({ rotated: 2, batches: 1, remaining: 3 });
    expect(await versions()).toEqual({ 1: 3, 2: 6 });

    // Run 3: the process dies mid-batch (connection lost on the batch's second update): the batch rolls back.
    let updates = 0;
    const crashing: TxRunner = (fn) =>
      withRefresher((tx) =>
        fn({
          query: ((text: string, values?: unknown[]) => {
            if (text.startsWith('update') && ++updates === 2)
              throw new Error('Connection terminated unexpectedly');
            return tx.query(text, values);
          }) as Tx['query'],
        }),
      );
    await expect(rotateTokenKeys({ batchSize: 3, tokensTx: crashing })).rejects.toThrow();
    expect(updates).toBe(2);
    expect(await versions()).toEqual({ 1: 3, 2: 6 });
    await openAll();

    // Run 4: picks up exactly the rows still on key 1, and the pending connections.
    const last = await rotateTokenKeys({ batchSize: 2, pendingTx });
    expect(last.tables).toEqual([
      { table: 'user_cloud_storage_tokens', batches: 2, rotated: 3, failed: 0, remaining: 0 },
      { table: 'pending_cloud_connections', batches: 1, rotated: 2, failed: 0, remaining: 0 },
    ]);
    expect(last).toMatchObject({ complete: true, pendingSkipped: false, currentKeyVersion: 2 });
    expect(await versions()).toEqual({ 2: 9 });

    // Key 1 removed from the configuration: every row still opens, so key 1 can be retired.
    useKeys(`2:${K2}`);
    await openAll();
    const again = await rotateTokenKeys({ pendingTx });
    expect(again.tables.map((t) => [t.batches, t.rotated, t.remaining])).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it('leaves rows it cannot open untouched, reports them and still finishes the others', async () => {
    useKeys(`2:${K2}`);
    const [alice, bob] = USERS as [string, string];
    // Alice's Drive ciphertext copied into her Dropbox row (a moved ciphertext), and a corrupt row for Bob.
    const moved = await withRefresher(async (tx) => {
      const copied = await tx.query(
        `update user_cloud_storage_tokens d set tokens_ciphertext = g.tokens_ciphertext
           from user_cloud_storage_tokens g
          where d.user_id = $1 and d.provider = 'dropbox' and g.user_id = $1 and g.provider = 'google_drive'`,
        [alice],
      );
      const corrupted = await tx.query(
        `update user_cloud_storage_tokens set tokens_ciphertext = $2 where user_id = $1 and provider = 'onedrive'`,
        [bob, randomBytes(400)],
      );
      return copied.rowCount! + corrupted.rowCount!;
    });
    expect(moved).toBe(2);

    useKeys(`2:${K2},3:${K3}`);
    const report = await rotateTokenKeys({ batchSize: 4 });
    expect(report.tables).toEqual([
      { table: 'user_cloud_storage_tokens', batches: 3, rotated: 7, failed: 2, remaining: 2 },
    ]);
    expect(report).toMatchObject({ complete: false, pendingSkipped: true, currentKeyVersion: 3 });
    const left = (await readSealedRows(db().name, 'user_cloud_storage_tokens')).filter(
      (r) => r.key_version !== 3,
    );
    expect(left.map((r) => [r.user_id, r.provider, r.key_version])).toEqual([
      [alice, 'dropbox', 2],
      [bob, 'onedrive', 2],
    ]);
  });

  it('skips rows a concurrent transaction holds instead of waiting, and takes them on the next run', async () => {
    useKeys(`2:${K2},3:${K3},4:${randomBytes(32).toString('base64')}`);
    const [, , carol] = USERS as [string, string, string];
    // A token refresh for Carol's Drive row is in flight: its transaction holds the row lock.
    const refresh = new pg.Client({ connectionString: db().refresherUrl });
    await refresh.connect();
    try {
      await refresh.query('begin');
      await refresh.query(
        "select 1 from user_cloud_storage_tokens where user_id = $1 and provider = 'google_drive' for update",
        [carol],
      );
      const during = await rotateTokenKeys({ batchSize: 4 });
      expect(during.tables[0]).toMatchObject({ rotated: 6, failed: 2, remaining: 3 });
      await refresh.query('commit');
    } finally {
      await refresh.end();
    }
    const after = await rotateTokenKeys({ batchSize: 4 });
    expect(after.tables[0]).toMatchObject({ rotated: 1, failed: 2, remaining: 2 });
    const carolDrive = (await readSealedRows(db().name, 'user_cloud_storage_tokens')).find(
      (r) => r.user_id === carol && r.provider === 'google_drive',
    );
    expect(carolDrive?.key_version).toBe(4);
  });
});
