import { dbSettings } from '#shared/config';
import { withRefresher } from '#shared/db/tenant';
import { logger } from '#shared/logger';
import { PROVIDERS, type Provider } from '#shared/providers/types';
import {
  allowSlowRefresh,
  claimDueConnections,
  countDueByProvider,
  type DueClaim,
  isStillDue,
  lockConnection,
  purgeExpiredOAuthRows,
} from './connection-store.ts';
import {
  emptyCounts,
  isKeyLevelVaultFailure,
  type OutcomeCounts,
  type RefreshOutcome,
  refreshLockedConnection,
  vaultErrorCode,
} from './refresh-core.ts';

export interface ScheduledRefreshOptions {
  /** Time left before the invocation is killed (Lambda: `context.getRemainingTimeInMillis`). Default: no limit. */
  remainingTimeMs?: () => number;
  /**
   * No row is started once less than this remains (default 20 s): a row can take a token timeout (8 s) plus
   * its database round trips, and the rows in flight must commit before the invocation ends.
   */
  reserveMs?: number;
  /** Rows per claim (default 50). */
  batchSize?: number;
  /** Rows refreshed at once (default 8), each on its own connection: capped at the refresher pool's size. */
  concurrency?: number;
  /** Delete expired OAuth attempts and unconfirmed connections first (default true). */
  purgeOAuthRows?: boolean;
  /** Stops starting rows (local Ctrl-C); rows in flight still commit. */
  signal?: AbortSignal;
}

export type StopReason = 'done' | 'budget' | 'aborted' | 'vault' | 'database';

export interface ScheduledRefreshSummary extends OutcomeCounts {
  byProvider: Record<Provider, OutcomeCounts>;
  claimed: number;
  batches: number;
  /** Claimed but never started (budget, vault failure, paused provider): still due, left to the next run. */
  deferred: number;
  stopReason: StopReason;
  stoppedByBudget: boolean;
  /** Providers whose client configuration failed in this run: their other rows were not attempted. */
  pausedProviders: Provider[];
  /** The code that stopped the run (vault) or paused a provider; for the operator. */
  configCodes: string[];
  purgedOAuthRows: number;
  concurrency: number;
  durationMs: number;
}

type Claim = DueClaim;

type RowResult = RefreshOutcome | { kind: 'skipped'; reason: 'locked' | 'not_due' } | { kind: 'error' };

const COUNTER: Record<RowResult['kind'], keyof OutcomeCounts> = {
  refreshed: 'refreshed',
  needs_reauth: 'needsReauth',
  transient: 'transient',
  config: 'config',
  vault: 'config',
  skipped: 'skipped',
  error: 'errors',
};

/**
 * One row, one transaction, holding that row's lock while the provider answers. The lock is taken with
 * SKIP LOCKED (another pass or an on-use refresh has it: skip, they are doing it) and the due predicate is
 * re-checked under the lock (another refresh committed between our claim and our lock: nothing to do). That
 * pair is what makes concurrent passes and refresh on use cost exactly one provider call per due row. The
 * refresh core writes the outcome in this transaction; if it dies before COMMIT nothing is written and the row
 * stays due for the next run (a rotated refresh token is lost with it, but providers keep the old one valid).
 */
async function refreshClaimed(claim: Claim): Promise<RowResult> {
  return withRefresher(async (tx) => {
    await allowSlowRefresh(tx);
    const row = await lockConnection(tx, claim.user_id, claim.provider, { skipLocked: true });
    if (!row) return { kind: 'skipped', reason: 'locked' } as const;
    if (!(await isStillDue(tx, claim.user_id, claim.provider)))
      return { kind: 'skipped', reason: 'not_due' } as const;
    return refreshLockedConnection(tx, row);
  });
}

export async function purgeOAuthRows(): Promise<number> {
  try {
    return await withRefresher((tx) => purgeExpiredOAuthRows(tx));
  } catch (error) {
    // Housekeeping: never a reason to skip refreshing.
    logger.error('Purging expired OAuth rows failed', { error: (error as Error).message });
    return 0;
  }
}

/**
 * One pass of the scheduled token refresh, as the refresher role (cross-tenant, token and audit tables only).
 *
 * Claims due rows in bounded batches with `FOR UPDATE SKIP LOCKED` (the claim's locks last only for its own
 * short transaction: it picks rows nobody is refreshing right now) and refreshes them with bounded concurrency,
 * each in its own transaction (see `refreshClaimed`). Workers pull from the claimed queue; when it runs dry, one
 * of them claims the next batch, excluding the rows this run already took (a row whose new token is still
 * "expiring soon" is not refreshed twice in one run). Stops starting rows when the time budget's reserve is
 * reached, on a key-level vault failure (a disabled KMS key: no retry storm, tokens kept) or when the database
 * fails; rows in flight always finish. A provider rejecting our client credentials pauses that provider only.
 * Logs one summary line; never logs tokens.
 */
export async function refreshDueConnections(
  options: ScheduledRefreshOptions = {},
): Promise<ScheduledRefreshSummary> {
  const started = Date.now();
  const remaining = options.remainingTimeMs ?? (() => Number.POSITIVE_INFINITY);
  const reserveMs = options.reserveMs ?? 20_000;
  const batchSize = options.batchSize ?? 50;
  const requested = options.concurrency ?? 8;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batchSize must be a positive integer');
  if (!Number.isInteger(requested) || requested < 1)
    throw new Error('concurrency must be a positive integer');
  // Each worker holds one pooled connection for a whole row (the claim reuses a worker's): more workers than
  // connections would queue on the pool and time out there instead of working.
  const poolMax = dbSettings().poolMax;
  const concurrency = Math.min(requested, poolMax);
  if (concurrency < requested) {
    logger.warn('Scheduled refresh concurrency capped at the database pool size', { requested, poolMax });
  }

  const totals = emptyCounts();
  const byProvider = Object.fromEntries(PROVIDERS.map((p) => [p, emptyCounts()])) as Record<
    Provider,
    OutcomeCounts
  >;
  const taken: string[] = [];
  const paused = new Set<Provider>();
  const configCodes = new Set<string>();
  const queue: Claim[] = [];
  let claimed = 0;
  let batches = 0;
  let deferred = 0;
  let exhausted = false;
  let stop: StopReason | undefined;
  let claiming: Promise<void> | undefined;

  const purgedOAuthRows = options.purgeOAuthRows === false ? 0 : await purgeOAuthRows();

  const claimBatch = async (): Promise<void> => {
    try {
      const rows = await withRefresher((tx) =>
        claimDueConnections(tx, { excludeIds: taken, pausedProviders: [...paused], limit: batchSize }),
      );
      batches += rows.length > 0 ? 1 : 0;
      claimed += rows.length;
      for (const row of rows) taken.push(row.id);
      queue.push(...rows);
      if (rows.length < batchSize) exhausted = true;
    } catch (error) {
      logger.error('Claiming due connections failed', { error: (error as Error).message });
      stop ??= 'database';
    }
  };

  const next = async (): Promise<Claim | undefined> => {
    for (;;) {
      if (stop || (exhausted && queue.length === 0)) return undefined;
      if (options.signal?.aborted) stop = 'aborted';
      else if (remaining() < reserveMs) stop = 'budget';
      if (stop) return undefined;
      const claim = queue.shift();
      if (claim) {
        if (!paused.has(claim.provider)) return claim;
        deferred += 1;
        continue;
      }
      if (exhausted) continue;
      claiming ??= claimBatch().finally(() => {
        claiming = undefined;
      });
      await claiming;
    }
  };

  const record = (claim: Claim, result: RowResult): void => {
    const key = COUNTER[result.kind];
    totals[key] += 1;
    byProvider[claim.provider][key] += 1;
    if (result.kind === 'refreshed' && result.rotated) {
      totals.rotated += 1;
      byProvider[claim.provider].rotated += 1;
    }
    if (result.kind === 'config') {
      // The provider refuses our client: its other rows would fail the same way, the other providers' not.
      // A refusal about one user's organisation only (the classification's `providerWide`) lets them go on.
      configCodes.add(result.code);
      if (result.providerWide) paused.add(claim.provider);
    }
    if (result.kind === 'vault') {
      totals.vault += 1;
      byProvider[claim.provider].vault += 1;
      if (result.rotatedTokenLost) {
        totals.rotatedTokensLost += 1;
        byProvider[claim.provider].rotatedTokensLost += 1;
      }
      configCodes.add(vaultErrorCode(result.reason));
      if (isKeyLevelVaultFailure(result.reason)) stop ??= 'vault';
    }
    if (
      result.kind === 'needs_reauth' ||
      result.kind === 'transient' ||
      result.kind === 'config' ||
      result.kind === 'vault'
    ) {
      logger.warn('Scheduled refresh failed for a connection', {
        userId: claim.user_id,
        provider: claim.provider,
        outcome: result.kind,
        // Not `code`: the log redaction treats a key named `code` as an OAuth authorization code.
        errorCode: result.kind === 'vault' ? vaultErrorCode(result.reason) : result.code,
      });
    }
  };

  const worker = async (): Promise<void> => {
    for (let claim = await next(); claim; claim = await next()) {
      let result: RowResult;
      try {
        result = await refreshClaimed(claim);
      } catch (error) {
        logger.error('Scheduled refresh of a connection failed', {
          userId: claim.user_id,
          provider: claim.provider,
          error: (error as Error).message,
        });
        result = { kind: 'error' };
      }
      record(claim, result);
    }
  };

  await Promise.all(Array.from({ length: concurrency }, worker));
  deferred += queue.length;
  const stopReason = stop ?? 'done';
  const summary: ScheduledRefreshSummary = {
    ...totals,
    byProvider,
    claimed,
    batches,
    deferred,
    stopReason,
    stoppedByBudget: stopReason === 'budget',
    pausedProviders: [...paused],
    configCodes: [...configCodes],
    purgedOAuthRows,
    concurrency,
    durationMs: Date.now() - started,
  };
  if (stopReason === 'vault' || stopReason === 'database')
    logger.error('Scheduled token refresh', { summary });
  else logger.info('Scheduled token refresh', { summary });
  return summary;
}

/** How many connections are due right now, per provider (`npm run refresh -- --dry-run`). */
export async function countDueConnections(): Promise<Record<Provider, number>> {
  return withRefresher(async (tx) => {
    const rows = await countDueByProvider(tx);
    const counts = Object.fromEntries(PROVIDERS.map((p) => [p, 0])) as Record<Provider, number>;
    for (const row of rows) counts[row.provider] = row.n;
    return counts;
  });
}
