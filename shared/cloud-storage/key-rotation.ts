import { type Tx, withRefresher } from '#shared/db/tenant';
import { logger } from '#shared/logger';
import { tokenVault, VaultError, type VaultErrorReason } from '#shared/vault/token-vault';
import { countRowsOnOldKey, lockRowsOnOldKey, resealRow, type SealedTable } from './connection-store.ts';

/**
 * Key rotation of stored provider tokens: the rows on an old key version are opened with their own key and
 * sealed again under the vault's current one. The vault only seals and opens; the rows come from the
 * connection store.
 */

/** Runs `fn` in one transaction on some connection; commits when it resolves, rolls back when it throws. */
export type TxRunner = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

export type { SealedTable };

export interface RotateOptions {
  /** Rows per transaction (default 50). Each row costs one KMS Decrypt and one GenerateDataKey. */
  batchSize?: number;
  /** Stop after this many batches per table: a bounded run; the next run picks up the rest. */
  maxBatches?: number;
  /** Checked between batches: the batch in flight still commits, so an aborted run leaves no half-done work. */
  signal?: AbortSignal;
  /**
   * Transactions that can read and update pending_cloud_connections across tenants. brand_refresher has no
   * grant there (by design), so without it pending rows are skipped; they expire within minutes and stay
   * readable as long as their key version stays configured.
   */
  pendingTx?: TxRunner;
  /** Transactions for user_cloud_storage_tokens (default: the refresher role, which may update every row). */
  tokensTx?: TxRunner;
  onBatch?: (progress: BatchProgress) => void | Promise<void>;
}

export interface BatchProgress {
  table: SealedTable;
  batch: number;
  rotated: number;
  failed: number;
}

export interface TableReport {
  table: SealedTable;
  batches: number;
  rotated: number;
  /** Rows that could not be opened (tampered, moved, unknown key version): left untouched, listed in the log. */
  failed: number;
  /** Rows still not on the current version after this run (failed ones, locked ones, or the run was cut short). */
  remaining: number;
}

export interface RotateReport {
  currentKeyVersion: number;
  tables: TableReport[];
  pendingSkipped: boolean;
  /** Every reachable row is on the current key version. */
  complete: boolean;
}

/** Failures that belong to one row; anything else (KMS down, key disabled, bad config) stops the run. */
const ROW_FAILURES = new Set<VaultErrorReason>([
  'context-mismatch',
  'decrypt-failed',
  'unknown-key-version',
  'invalid-input',
]);

async function rotateBatch(
  tx: Tx,
  table: SealedTable,
  current: number,
  limit: number,
  skip: Array<string | Buffer>,
): Promise<{ seen: number; rotated: number; failedIds: Array<string | Buffer> }> {
  const rows = await lockRowsOnOldKey(tx, table, { currentVersion: current, limit, skipIds: skip });
  let rotated = 0;
  const failedIds: Array<string | Buffer> = [];
  for (const row of rows) {
    const ctx = { userId: row.user_id, provider: row.provider };
    let sealed: Awaited<ReturnType<typeof tokenVault.seal>>;
    try {
      // Plaintext lives only in this scope's memory between open and seal: never logged, never written.
      sealed = await tokenVault.seal(await tokenVault.open(row.sealed, ctx), ctx);
    } catch (error) {
      if (!(error instanceof VaultError) || !ROW_FAILURES.has(error.reason)) throw error;
      logger.error('Token vault rotation: row cannot be opened, left on its old key version', {
        table,
        userId: row.user_id,
        provider: row.provider,
        keyVersion: row.sealed.keyVersion,
        reason: error.reason,
      });
      failedIds.push(row.id);
      continue;
    }
    await resealRow(tx, table, row, sealed);
    rotated += 1;
  }
  return { seen: rows.length, rotated, failedIds };
}

async function rotateTable(
  table: SealedTable,
  run: TxRunner,
  current: number,
  options: RotateOptions,
): Promise<TableReport> {
  const batchSize = options.batchSize ?? 50;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batchSize must be a positive integer');
  const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
  const report: TableReport = { table, batches: 0, rotated: 0, failed: 0, remaining: 0 };
  const failedIds: Array<string | Buffer> = [];
  while (report.batches < maxBatches && !options.signal?.aborted) {
    // One transaction per batch: a crash or a KMS failure mid-batch rolls back only that batch, whose rows
    // keep their old ciphertext and version and are picked up again by the next run.
    const batch = await run((tx) => rotateBatch(tx, table, current, batchSize, failedIds));
    if (batch.seen === 0) break;
    report.batches += 1;
    report.rotated += batch.rotated;
    report.failed += batch.failedIds.length;
    failedIds.push(...batch.failedIds);
    await options.onBatch?.({
      table,
      batch: report.batches,
      rotated: batch.rotated,
      failed: batch.failedIds.length,
    });
  }
  report.remaining = await run((tx) => countRowsOnOldKey(tx, table, current));
  return report;
}

/**
 * Re-encrypts every sealed row whose key_version is not the vault's current one: open with the row's own key
 * version and context, seal under the current key, update in place. Resumable by construction: it only ever
 * selects rows still on an old version, so an interrupted run is finished by running it again.
 */
export async function rotateTokenKeys(options: RotateOptions = {}): Promise<RotateReport> {
  const current = tokenVault.currentKeyVersion();
  const tables: TableReport[] = [];
  tables.push(
    await rotateTable('user_cloud_storage_tokens', options.tokensTx ?? withRefresher, current, options),
  );
  if (options.pendingTx && !options.signal?.aborted) {
    tables.push(await rotateTable('pending_cloud_connections', options.pendingTx, current, options));
  }
  return {
    currentKeyVersion: current,
    tables,
    pendingSkipped: !options.pendingTx,
    complete: tables.every((t) => t.remaining === 0 && t.failed === 0),
  };
}

/** A TxRunner on one dedicated connection (e.g. an operator's connection that can reach pending rows). */
export function clientTxRunner(client: Pick<Tx, 'query'>): TxRunner {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => {
    const next = queue.then(async () => {
      await client.query('BEGIN');
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
    queue = next.catch(() => undefined);
    return next;
  };
}
