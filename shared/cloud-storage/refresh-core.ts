import { recordAudit } from '#shared/audit';
import type { Tx } from '#shared/db/tenant';
import { type EventType, recordEvent } from '#shared/events/outbox';
import { logger } from '#shared/logger';
import { ProviderError } from '#shared/providers/errors';
import { refreshAccessToken, toTokenSet } from '#shared/providers/token-client';
import type { Provider } from '#shared/providers/types';
import {
  type PreparedSeal,
  type SealedTokens,
  type TokenSet,
  tokenVault,
  VaultError,
  type VaultErrorReason,
} from '#shared/vault/token-vault';
import {
  recordLastError,
  recordNeedsReauth,
  recordRefreshed,
  recordTransientFailure,
  type StoredConnection,
} from './connection-store.ts';
import { isLostScope, type PermanentFailure, permanentFailure, transientReason } from './health.ts';

/**
 * The refresh core shared by refresh on use and the scheduled refresh: one locked row in, one provider token
 * call, the outcome written in the caller's transaction. It knows the token client, the vault and the store,
 * and nothing of the provider file SDKs or the OAuth flow (so the token-refresh function bundles neither).
 */

/** Refresh on use when the access token expires within this margin. */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/** Transient failures push `next_refresh_at` back: capped exponential backoff with full jitter. */
export function backoffSeconds(failureCount: number, random: () => number = Math.random): number {
  const cap = 60 * 60; // one hour
  const base = 30;
  const ceiling = Math.min(cap, base * 2 ** Math.min(failureCount, 16));
  return Math.max(1, Math.round(random() * ceiling));
}

/**
 * The longest a provider's Retry-After is honoured (429 and 503 alike): beyond an hour the access token has
 * long expired, and the normal backoff's own cap is an hour too.
 */
export const RETRY_AFTER_CAP_SECONDS = 60 * 60;

/**
 * When a connection may call the token endpoint again after a transient failure: the jittered backoff, but
 * never sooner than the provider asked for (Retry-After, capped).
 */
export function nextAttemptDelaySeconds(
  failureCount: number,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number {
  return Math.max(
    backoffSeconds(failureCount, random),
    Math.min(retryAfterSeconds ?? 0, RETRY_AFTER_CAP_SECONDS),
  );
}

/** Whole seconds until `instant` (at least 1), for a Retry-After header. */
export const secondsUntil = (instant: string): number =>
  Math.max(1, Math.ceil((Date.parse(instant) - Date.now()) / 1000));

/** Whether a transient failure's backoff still holds: no token call before `next_refresh_at`. */
export const inBackoff = (nextRefreshAt: string | null | undefined): boolean =>
  Boolean(nextRefreshAt && Date.parse(nextRefreshAt) > Date.now());

export const expiresSoon = (expiresAt: string | null | undefined, marginMs = REFRESH_MARGIN_MS): boolean =>
  !expiresAt || Date.parse(expiresAt) - Date.now() <= marginMs;

/**
 * The margin for refresh on use: 5 minutes, or half the token's lifetime when the provider issues tokens that
 * live less than twice that (known once we refreshed it). Otherwise a token that is "expiring soon" from the
 * moment it is issued would be refreshed again by every request that reads it after the refresh committed.
 */
export function refreshMarginMs(row: {
  token_expires_at: string | null;
  last_refreshed_at: string | null;
}): number {
  if (!row.token_expires_at || !row.last_refreshed_at) return REFRESH_MARGIN_MS;
  const lifetime = Date.parse(row.token_expires_at) - Date.parse(row.last_refreshed_at);
  return lifetime > 0 ? Math.min(REFRESH_MARGIN_MS, lifetime / 2) : REFRESH_MARGIN_MS;
}

/** Why the vault failed, or `error` for something that was not a VaultError at all. */
export type VaultFailureReason = VaultErrorReason | 'error';

export type RefreshOutcome =
  | { kind: 'refreshed'; tokens: TokenSet; rotated: boolean }
  | { kind: 'needs_reauth'; code: string; reason?: string | null }
  | {
      kind: 'transient';
      code: string;
      retryAfterSeconds?: number;
      nextRefreshAt: string;
      /** The token endpoint throttled (429) rather than failed. */
      rateLimited: boolean;
    }
  /**
   * The provider rejected our client (invalid_client, not configured): tokens kept, operator alarm.
   * `providerWide`: the provider's other connections would fail the same way (ProviderError.providerWide).
   */
  | { kind: 'config'; code: string; providerWide: boolean }
  /**
   * The vault failed: it could not open the stored tokens (`open`, before any provider call), or could not seal
   * the provider's new ones (`seal`, after a few quick retries under the row lock). The stored tokens are kept
   * either way; `rotatedTokenLost` says the provider had issued a new refresh token that could not be kept.
   */
  | { kind: 'vault'; reason: VaultFailureReason; stage: 'open' | 'seal'; rotatedTokenLost: boolean };

/** Refresh outcomes counted (a scheduled pass, per provider and in all; a worker batch). */
export interface OutcomeCounts {
  refreshed: number;
  /** Of `refreshed`: the provider returned a new refresh token, which replaced the old one. */
  rotated: number;
  needsReauth: number;
  transient: number;
  /** Our side is broken (vault/KMS key, client credentials): tokens kept, operator alarm. Vault included. */
  config: number;
  /** Of `config`: the vault could not open the stored tokens or seal the provider's new ones. */
  vault: number;
  /** Of `vault`: the provider rotated the refresh token and the new one could not be sealed (operator event). */
  rotatedTokensLost: number;
  /** Claimed, then found locked by another refresh or no longer due once locked: someone else did it. */
  skipped: number;
  /** The row's transaction failed (database): nothing was written; the row stays due. */
  errors: number;
}

/** Every outcome at zero. */
export const emptyCounts = (): OutcomeCounts => ({
  refreshed: 0,
  rotated: 0,
  needsReauth: 0,
  transient: 0,
  config: 0,
  vault: 0,
  rotatedTokensLost: 0,
  skipped: 0,
  errors: 0,
});

/** Vault failures that concern the key or KMS itself, not one row: every further row would fail the same way. */
const KEY_LEVEL_VAULT_FAILURES = new Set<VaultFailureReason>([
  'key-unusable',
  'kms-unavailable',
  'configuration',
  'error',
]);

/** Whether a vault failure stops a refresh run (scheduled pass or worker batch): no further provider calls. */
export const isKeyLevelVaultFailure = (reason: VaultFailureReason): boolean =>
  KEY_LEVEL_VAULT_FAILURES.has(reason);

/** The `last_error` a vault failure leaves on the row, for the operator (the API shows it as `lastError`). */
export const vaultErrorCode = (reason: VaultFailureReason): string => `vault_${reason}`;

/** Sets the tenant context for the audit insert (the refresher role works across tenants). */
async function auditFor(
  tx: Tx,
  userId: string,
  action: string,
  provider: Provider,
  metadata: Record<string, unknown>,
) {
  await tx.query("select set_config('app.user_id', $1, true)", [userId]);
  await recordAudit(tx, { action, resourceType: 'cloud_connection', resourceId: provider, metadata });
}

/**
 * A lifecycle event of the connection, in the caller's transaction (the refresher role works across tenants, so
 * the tenant context is set first). Written only on a transition, never per attempt.
 */
export async function connectionEvent(
  tx: Tx,
  row: Pick<StoredConnection, 'id' | 'user_id' | 'provider'>,
  type: EventType,
  data: Record<string, unknown> = {},
): Promise<void> {
  await tx.query("select set_config('app.user_id', $1, true)", [row.user_id]);
  await recordEvent(tx, {
    type,
    subject: { type: 'cloud_connection', id: row.id },
    data: { provider: row.provider, ...data },
  });
}

/**
 * Refreshes one locked connection row and writes the outcome in the same transaction:
 * - success: new sealed token set (a rotated refresh token replaces the old one in the same write; a response
 *   without one keeps the old one), expiry, last_refreshed_at, failure count reset;
 * - invalid_grant / consent or interaction required: status needs_reauth, last_error code, audit event, no more attempts;
 * - 429 / 5xx / timeouts: stays active, failure count + 1, next_refresh_at pushed back with jitter and never
 *   sooner than the provider's Retry-After (capped);
 * - our own misconfiguration (invalid_client, unauthorized_client) or a vault that cannot open the tokens: kept as
 *   is with last_error, for the operator;
 * - a vault that cannot seal the provider's answer: a vault outcome, not a provider failure (the provider did
 *   answer): tokens kept, last_error, and the loss of a rotated refresh token logged and audited.
 * The caller commits. The shared classification is the one the file APIs use.
 */
export async function refreshLockedConnection(
  tx: Tx,
  row: StoredConnection,
  /** The row's tokens when the caller has already opened them (refresh on use compares them first). */
  opened?: TokenSet,
): Promise<RefreshOutcome> {
  const userId = row.user_id;
  const provider = row.provider;
  let current: TokenSet;
  try {
    current = opened ?? (await tokenVault.open(row.sealed, { userId, provider }));
  } catch (error) {
    const reason: VaultFailureReason = error instanceof VaultError ? error.reason : 'error';
    logger.error('Token vault failure during refresh', { provider, errorCode: vaultErrorCode(reason) });
    await recordLastError(tx, userId, provider, vaultErrorCode(reason));
    return { kind: 'vault', reason, stage: 'open', rotatedTokenLost: false };
  }
  if (!current.refreshToken) {
    const { reason } = await markNeedsReauth(tx, row, 'no_refresh_token');
    return { kind: 'needs_reauth', code: 'no_refresh_token', reason };
  }
  // The new tokens' data key is made while the provider answers (one KMS round trip off the row's path, under
  // its lock); dropped unused when the provider's answer is not a success.
  const prepared = tokenVault.prepareSeal({ userId, provider });
  try {
    return await refreshWithPreparedSeal(tx, row, current, current.refreshToken, prepared);
  } finally {
    prepared.discard();
  }
}

async function refreshWithPreparedSeal(
  tx: Tx,
  row: StoredConnection,
  current: TokenSet,
  refreshToken: string,
  prepared: PreparedSeal,
): Promise<RefreshOutcome> {
  const userId = row.user_id;
  const provider = row.provider;
  let response: Awaited<ReturnType<typeof refreshAccessToken>>;
  try {
    response = await refreshAccessToken(provider, refreshToken);
  } catch (error) {
    const failure = error instanceof ProviderError ? error : new ProviderError('transient', 'unexpected');
    if (failure.kind === 'reauth' || isLostScope(provider, failure)) {
      const { reason } = await markNeedsReauth(tx, row, failure.code, failure.options.providerCode);
      return { kind: 'needs_reauth', code: failure.code, reason };
    }
    if (failure.kind === 'config') {
      logger.error('Provider rejected our client credentials', { provider, errorCode: failure.code });
      await recordLastError(tx, userId, provider, failure.code);
      return { kind: 'config', code: failure.code, providerWide: failure.providerWide };
    }
    const failureCount = row.refresh_failure_count + 1;
    const delay = nextAttemptDelaySeconds(failureCount, failure.retryAfterSeconds);
    const nextRefreshAt = new Date(Date.now() + delay * 1000).toISOString();
    const reason = transientReason(failure.kind === 'rate_limited');
    await recordTransientFailure(tx, {
      userId,
      provider,
      failureCount,
      nextRefreshAt,
      errorCode: failure.code,
      reason,
    });
    // Healthy → failing is a transition (later failures only move the backoff): one `refresh_failed` event.
    if (row.refresh_failure_count === 0) {
      await connectionEvent(tx, row, 'cloud_storage.refresh_failed', {
        reason,
        consecutiveFailures: failureCount,
        nextAttemptAt: nextRefreshAt,
      });
    }
    return {
      kind: 'transient',
      code: failure.code,
      nextRefreshAt,
      rateLimited: failure.kind === 'rate_limited',
      ...(failure.retryAfterSeconds === undefined
        ? {}
        : { retryAfterSeconds: Math.min(failure.retryAfterSeconds, RETRY_AFTER_CAP_SECONDS) }),
    };
  }

  // The provider answered: from here on a failure is ours (the vault), never the provider's.
  const tokens = toTokenSet(response, current);
  const rotated = Boolean(response.refreshToken && response.refreshToken !== current.refreshToken);
  let sealed: SealedTokens;
  try {
    sealed = await sealBriefly(tokens, { userId, provider }, prepared);
  } catch (error) {
    const reason: VaultFailureReason = error instanceof VaultError ? error.reason : 'error';
    logger.error('Token vault failure during refresh', {
      provider,
      errorCode: vaultErrorCode(reason),
      stage: 'seal',
    });
    await recordLastError(tx, userId, provider, vaultErrorCode(reason));
    if (rotated) {
      // The provider issued a new refresh token and we could not keep it. Providers that revoke the previous
      // one on rotation leave this connection needing reconsent; the operator has to know (never the token).
      logger.error('Rotated refresh token lost: the vault could not seal it', {
        userId,
        provider,
        reason,
        event: 'refresh_token_lost',
      });
      await auditFor(tx, userId, 'cloud_storage.refresh_failed', provider, {
        reason: 'refresh_token_lost',
        vaultReason: reason,
      });
    }
    return { kind: 'vault', reason, stage: 'seal', rotatedTokenLost: rotated };
  }
  await recordRefreshed(tx, {
    userId,
    provider,
    sealed,
    tokenExpiresAt: tokens.expiresAt ?? null,
    rotated,
  });
  // Failing → healthy is a transition: one `recovered` event.
  if (row.refresh_failure_count > 0 || row.health_reason !== null) {
    await connectionEvent(tx, row, 'cloud_storage.recovered', { previousReason: row.health_reason });
  }
  return { kind: 'refreshed', tokens, rotated };
}

/** Quick retries of a seal whose failure may pass (KMS throttled or briefly unreachable), under the row lock. */
const SEAL_RETRY_DELAYS_MS = [100, 300];

async function sealBriefly(
  tokens: TokenSet,
  ctx: { userId: string; provider: Provider },
  prepared: PreparedSeal,
) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      // The first attempt uses the data key prepared during the token call; a retry asks for a fresh one.
      return await (attempt === 0 ? prepared.seal(tokens) : tokenVault.seal(tokens, ctx));
    } catch (error) {
      const delay = SEAL_RETRY_DELAYS_MS[attempt];
      if (!(error instanceof VaultError) || !error.retryable || delay === undefined) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * The grant is dead (or needs the tenant's admin): status and reason from the provider's answer, no more
 * refresh attempts until the user reconnects; audited, and one `needs_reauth` event on the transition. The
 * caller commits.
 */
export async function markNeedsReauth(
  tx: Tx,
  row: Pick<StoredConnection, 'id' | 'user_id' | 'provider' | 'status'>,
  code: string,
  providerCode?: string,
): Promise<PermanentFailure> {
  const failure = permanentFailure(code, providerCode);
  await recordNeedsReauth(tx, row.user_id, row.provider, code, failure);
  if (row.status === 'active') {
    await connectionEvent(tx, row, 'cloud_storage.needs_reauth', {
      status: failure.status,
      reason: failure.reason,
    });
  }
  // `errorCode`, not `code`: the redaction treats a key named `code` as an OAuth authorization code.
  await auditFor(tx, row.user_id, 'cloud_storage.refresh_failed', row.provider, {
    reason: 'needs_reauth',
    errorCode: code,
  });
  return failure;
}
