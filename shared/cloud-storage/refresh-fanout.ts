import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { withRefresher } from '#shared/db/tenant';
import { logger } from '#shared/logger';
import { PROVIDERS, type Provider } from '#shared/providers/types';
import {
  claimDueIds,
  type DueClaim,
  lockDueForWorker,
  pausedProviders,
  recordProviderOutcome,
  releaseClaim,
} from './connection-store.ts';
import { isKeyLevelVaultFailure, type RefreshOutcome, refreshLockedConnection } from './refresh-core.ts';

/**
 * The refresh at scale (ARCHITECTURE.md "Refresh at scale"): the scheduler only claims due connection ids and
 * sends them to a queue in batches; workers (SQS-triggered, partial batch failures) refresh each one with the
 * same lock-and-re-check core as refresh on use, so a duplicated or redelivered message never refreshes twice.
 * A provider whose token endpoint keeps failing (5xx/429) is paused in the database for every worker.
 */

/** A claimed row stays out of the next claims this long (its message waits in the queue meanwhile). */
export const CLAIM_LEASE_SECONDS = 15 * 60;
/** This many transient failures in a row from one provider pause it … */
export const PAUSE_THRESHOLD = 5;
/** … for this long. */
export const PAUSE_SECONDS = 60;

export interface RefreshMessage {
  id: string;
  userId: string;
  provider: Provider;
}

/** Where the scheduler sends ids: SQS in AWS (10 per SendMessageBatch), an in-process queue locally. */
export interface RefreshQueue {
  send(messages: RefreshMessage[]): Promise<void>;
}

export interface ScheduleSummary {
  /** Ids claimed and queued. */
  claimed: number;
  batches: number;
  /** Ids claimed whose send failed: their claims were released (due again next run). */
  released: number;
  pausedProviders: Provider[];
}

/**
 * One scheduler run: claims due ids (index-only on the due instant, excluding paused providers) in chunks of
 * `claimSize` and sends them in batches of 10 until nothing is due or the time budget is spent. A claim whose
 * send fails is released, so the rows stay due for the next run.
 */
export async function scheduleDueRefreshes(options: {
  queue: RefreshQueue;
  claimSize?: number;
  remainingTimeMs?: () => number;
  reserveMs?: number;
}): Promise<ScheduleSummary> {
  const claimSize = options.claimSize ?? 500;
  const remaining = options.remainingTimeMs ?? (() => Number.POSITIVE_INFINITY);
  const reserveMs = options.reserveMs ?? 5_000;
  const paused = await withRefresher((tx) => pausedProviders(tx));
  const summary: ScheduleSummary = { claimed: 0, batches: 0, released: 0, pausedProviders: paused };
  while (remaining() >= reserveMs) {
    const claims = await withRefresher((tx) =>
      claimDueIds(tx, { limit: claimSize, pausedProviders: paused, leaseSeconds: CLAIM_LEASE_SECONDS }),
    );
    summary.claimed += claims.length;
    for (let i = 0; i < claims.length; i += 10) {
      const batch = claims.slice(i, i + 10);
      try {
        await options.queue.send(batch.map(toMessage));
        summary.batches += 1;
      } catch (error) {
        logger.error('Sending refresh ids failed; their claims are released', {
          error: (error as Error).message,
          count: batch.length,
        });
        await withRefresher(async (tx) => {
          for (const claim of batch) await releaseClaim(tx, claim.id);
        });
        summary.claimed -= batch.length;
        summary.released += batch.length;
      }
    }
    if (claims.length < claimSize) break;
  }
  logger.info('Refresh scheduler', { summary });
  return summary;
}

const toMessage = (claim: DueClaim): RefreshMessage => ({
  id: claim.id,
  userId: claim.user_id,
  provider: claim.provider,
});

function parseMessage(record: SQSRecord): RefreshMessage | undefined {
  try {
    const body = JSON.parse(record.body) as Partial<RefreshMessage>;
    if (
      typeof body.id === 'string' &&
      typeof body.userId === 'string' &&
      PROVIDERS.includes(body.provider as Provider)
    ) {
      return body as RefreshMessage;
    }
  } catch {
    // fall through
  }
  return undefined;
}

export type WorkerResult =
  | RefreshOutcome['kind']
  | 'skipped_locked'
  | 'skipped_not_due'
  | 'paused'
  /** Not started: the time budget ran out, or a key-level vault failure stopped the batch. Retried by SQS. */
  | 'deferred'
  | 'invalid'
  | 'error';

interface RecordDone {
  result: WorkerResult;
  /** The refresh core's outcome, when it ran. */
  outcome?: RefreshOutcome;
  /** The provider had failures counted when the row was locked (a success must clear them). */
  providerFailing: boolean;
}

/**
 * One message: the row lock (SKIP LOCKED: someone is refreshing it), the re-check and the provider's pause in one
 * statement, then the shared refresh core; four round trips on the way that refreshes (BEGIN, lock and
 * re-check, write, COMMIT).
 */
async function refreshOne(message: RefreshMessage): Promise<RecordDone> {
  return withRefresher(async (tx): Promise<RecordDone> => {
    const locked = await lockDueForWorker(tx, message.userId, message.provider);
    if (!locked) return { result: 'skipped_locked', providerFailing: false };
    const providerFailing = locked.providerFailing;
    if (locked.providerPaused) return { result: 'paused', providerFailing };
    if (locked.row.id !== message.id || !locked.due) return { result: 'skipped_not_due', providerFailing };
    const outcome = await refreshLockedConnection(tx, locked.row);
    return { result: outcome.kind, outcome, providerFailing };
  });
}

/**
 * Records a worker processes at once by default, each on its own database connection (a worker's pool needs one
 * more, for the pause writes between records). Five divides the worker's batch (functions/workers.ts) into full
 * waves, so no wave of a batch leaves slots idle by construction.
 */
export const WORKER_CONCURRENCY = 5;

export interface WorkerOptions {
  /** Records processed at once (default WORKER_CONCURRENCY), each on its own database connection. */
  concurrency?: number;
  /** Time left; records not started with less than `reserveMs` left are returned (default 20 s). */
  remainingTimeMs?: () => number;
  reserveMs?: number;
  /** Observes each record's result (tests, metrics), with the refresh core's outcome when it ran. */
  onResult?: (message: RefreshMessage | undefined, result: WorkerResult, outcome?: RefreshOutcome) => void;
}

/**
 * The SQS-triggered refresh worker: returns the records to retry as `batchItemFailures` (database errors,
 * paused providers, records not started before the time budget ran out or after a key-level vault failure);
 * everything else is done, including skips (someone else refreshed the row). Records run as a pool: each of the
 * `concurrency` slots takes the next record as soon as its last one is done. The provider-wide pause is read
 * with each record's row lock (no round trip of its own, and a pause another worker sets mid-batch counts) and
 * written after each token-endpoint outcome. A key-level vault failure (disabled key, KMS down) stops the batch
 * like it stops a scheduled pass: no further provider call whose new tokens could not be kept.
 */
export async function handleRefreshBatch(
  event: Pick<SQSEvent, 'Records'>,
  options: WorkerOptions = {},
): Promise<SQSBatchResponse> {
  const remaining = options.remainingTimeMs ?? (() => Number.POSITIVE_INFINITY);
  const reserveMs = options.reserveMs ?? 20_000;
  const failures: string[] = [];
  // Providers seen paused in this batch: their further records come back without a round trip.
  const paused = new Set<Provider>();
  // Providers whose failures this batch counted: a later success clears them even when its row was locked
  // before they were written. (Failures counted elsewhere come with the row lock.) A success of a provider
  // nobody counted failures for writes nothing (the common case costs no round trip).
  const failing = new Set<Provider>();
  const pending = [...event.Records];
  let vaultStopped = false;
  const work = async () => {
    for (let record = pending.shift(); record; record = pending.shift()) {
      const message = parseMessage(record);
      let result: WorkerResult;
      let outcome: RefreshOutcome | undefined;
      if (!message) result = 'invalid';
      else if (paused.has(message.provider)) result = 'paused';
      else if (vaultStopped || remaining() < reserveMs) result = 'deferred';
      else {
        let providerFailing = false;
        try {
          const done = await refreshOne(message);
          result = done.result;
          outcome = done.outcome;
          providerFailing = done.providerFailing;
          if (result === 'paused') paused.add(message.provider);
          if (outcome?.kind === 'vault' && isKeyLevelVaultFailure(outcome.reason)) vaultStopped = true;
        } catch (error) {
          logger.error('Refresh worker: a connection failed', {
            provider: message.provider,
            error: (error as Error).message,
          });
          result = 'error';
        }
        const provider = message.provider;
        if (
          result === 'transient' ||
          (result === 'refreshed' && (providerFailing || failing.has(provider)))
        ) {
          const ok = result === 'refreshed';
          if (ok) failing.delete(provider);
          else failing.add(provider);
          await withRefresher((tx) =>
            recordProviderOutcome(
              tx,
              provider,
              ok
                ? { ok: true }
                : {
                    ok: false,
                    errorCode: 'transient',
                    threshold: PAUSE_THRESHOLD,
                    pauseSeconds: PAUSE_SECONDS,
                  },
            ),
          ).catch(() => undefined);
        }
      }
      if (result === 'paused' || result === 'deferred' || result === 'error') failures.push(record.messageId);
      options.onResult?.(message, result, outcome);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? WORKER_CONCURRENCY }, work));
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}
