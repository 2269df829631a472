import type { QueryConfig } from 'pg';
import { recordAudit } from '#shared/audit';
import type { Tx } from '#shared/db/tenant';
import { logger } from '#shared/logger';
import { ProviderError } from '#shared/providers/errors';
import { refreshAccessToken } from '#shared/providers/token-client';
import type { Provider } from '#shared/providers/types';
import { type TokenSet, tokenVault, VaultError } from '#shared/vault/token-vault';
import { toTokenSet } from './oauth.ts';
import type { SealedConnectionRow } from './repository.ts';

/** Refresh on use when the access token expires within this margin. */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/** Client-side bound of a lock wait: just above allowSlowRefresh's lock_timeout. */
const LOCK_WAIT_MS = 16_000;

/** Transient failures push `next_refresh_at` back: capped exponential backoff with full jitter. */
export function backoffSeconds(failureCount: number, random: () => number = Math.random): number {
  const cap = 60 * 60; // one hour
  const base = 30;
  const ceiling = Math.min(cap, base * 2 ** Math.min(failureCount, 16));
  return Math.max(1, Math.round(random() * ceiling));
}

export const expiresSoon = (expiresAt: string | null | undefined, marginMs = REFRESH_MARGIN_MS): boolean =>
  !expiresAt || Date.parse(expiresAt) - Date.now() <= marginMs;

/**
 * The lock-holding transaction waits for a provider call (token endpoint timeout 8 s), so its own limits are
 * raised for this transaction only: concurrent callers queue on the row lock instead of timing out.
 */
export async function allowSlowRefresh(tx: Tx): Promise<void> {
  // statement_timeout 20 s covers the lock wait (lock_timeout 15 s) plus the provider call.
  await tx.query(
    `select set_config('statement_timeout', '20s', true), set_config('lock_timeout', '15s', true),
            set_config('idle_in_transaction_session_timeout', '30s', true)`,
  );
}

/**
 * Locks a connection row for refresh. Works for both roles: the application role sees only the tenant's rows
 * (RLS), the refresher role sees every tenant's. `skipLocked` is for the scheduled job.
 */
export async function lockConnection(
  tx: Tx,
  userId: string,
  provider: Provider,
  options: { skipLocked?: boolean } = {},
): Promise<SealedConnectionRow | undefined> {
  const { rows } = await tx.query<SealedConnectionRow>({
    text: `select provider, status, provider_user_id, provider_email, scopes, connected_at, token_expires_at,
            last_refreshed_at, last_error, user_id, tokens_ciphertext, key_version, last_used_at,
            refresh_failure_count, next_refresh_at
       from user_cloud_storage_tokens
      where user_id = $1 and provider = $2
      for update ${options.skipLocked ? 'skip locked' : ''}`,
    values: [userId, provider],
    // The pool's client-side read timeout (statement timeout + 1 s) would end a wait for the row lock that
    // allowSlowRefresh permits; waiting is the point here (the server-side lock_timeout still bounds it).
    query_timeout: LOCK_WAIT_MS,
  } as QueryConfig);
  return rows[0];
}

export type RefreshOutcome =
  | { kind: 'refreshed'; tokens: TokenSet; rotated: boolean }
  | { kind: 'needs_reauth'; code: string }
  | {
      kind: 'transient';
      code: string;
      retryAfterSeconds?: number;
      nextRefreshAt: string;
      /** The token endpoint throttled (429) rather than failed. */
      rateLimited: boolean;
    }
  | { kind: 'config'; code: string };

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
 * Refreshes one locked connection row and writes the outcome in the same transaction:
 * - success: new sealed token set (a rotated refresh token replaces the old one in the same write; a response
 *   without one keeps the old one), expiry, last_refreshed_at, failure count reset;
 * - invalid_grant / unauthorized_client: status needs_reauth, last_error code, audit event, no more attempts;
 * - 429 / 5xx / timeouts: stays active, failure count + 1, next_refresh_at pushed back with jitter;
 * - our own misconfiguration (invalid_client, disabled KMS key): kept as is with last_error, for the operator.
 * The caller commits. The shared classification is the one the file APIs use.
 */
export async function refreshLockedConnection(
  tx: Tx,
  row: SealedConnectionRow,
  /** The row's tokens when the caller has already opened them (refresh on use compares them first). */
  opened?: TokenSet,
): Promise<RefreshOutcome> {
  const ctx = { userId: row.user_id, provider: row.provider };
  let current: TokenSet;
  try {
    current =
      opened ??
      (await tokenVault.open({ ciphertext: row.tokens_ciphertext, keyVersion: row.key_version }, ctx));
  } catch (error) {
    const code = error instanceof VaultError ? `vault_${error.reason}` : 'vault_error';
    logger.error('Token vault failure during refresh', { provider: row.provider, errorCode: code });
    await tx.query(
      `update user_cloud_storage_tokens set last_error = $3, updated_at = now() where user_id = $1 and provider = $2`,
      [row.user_id, row.provider, code],
    );
    return { kind: 'config', code };
  }
  if (!current.refreshToken) {
    await markNeedsReauth(tx, row, 'no_refresh_token');
    return { kind: 'needs_reauth', code: 'no_refresh_token' };
  }
  try {
    const response = await refreshAccessToken(row.provider, current.refreshToken);
    const tokens = toTokenSet(response, current.refreshToken);
    const sealed = await tokenVault.seal(tokens, ctx);
    await tx.query(
      `update user_cloud_storage_tokens
          set tokens_ciphertext = $3, key_version = $4, token_expires_at = $5, last_refreshed_at = now(),
              refresh_failure_count = 0, next_refresh_at = null, last_error = null, status = 'active', updated_at = now()
        where user_id = $1 and provider = $2`,
      [row.user_id, row.provider, sealed.ciphertext, sealed.keyVersion, tokens.expiresAt ?? null],
    );
    return {
      kind: 'refreshed',
      tokens,
      rotated: Boolean(response.refreshToken && response.refreshToken !== current.refreshToken),
    };
  } catch (error) {
    const failure = error instanceof ProviderError ? error : new ProviderError('transient', 'unexpected');
    if (failure.kind === 'reauth') {
      await markNeedsReauth(tx, row, failure.code);
      return { kind: 'needs_reauth', code: failure.code };
    }
    if (failure.kind === 'config') {
      logger.error('Provider rejected our client credentials', {
        provider: row.provider,
        errorCode: failure.code,
      });
      await tx.query(
        `update user_cloud_storage_tokens set last_error = $3, updated_at = now() where user_id = $1 and provider = $2`,
        [row.user_id, row.provider, failure.code],
      );
      return { kind: 'config', code: failure.code };
    }
    const count = row.refresh_failure_count + 1;
    const delay = Math.max(backoffSeconds(count), failure.retryAfterSeconds ?? 0);
    const nextRefreshAt = new Date(Date.now() + delay * 1000).toISOString();
    await tx.query(
      `update user_cloud_storage_tokens
          set refresh_failure_count = $3, next_refresh_at = $4, last_error = $5, updated_at = now()
        where user_id = $1 and provider = $2`,
      [row.user_id, row.provider, count, nextRefreshAt, failure.code],
    );
    return {
      kind: 'transient',
      code: failure.code,
      nextRefreshAt,
      rateLimited: failure.kind === 'rate_limited',
      ...(failure.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: failure.retryAfterSeconds }),
    };
  }
}

/** The grant is dead: no more refresh attempts until the user reconnects; audited. The caller commits. */
export async function markNeedsReauth(tx: Tx, row: SealedConnectionRow, code: string): Promise<void> {
  await tx.query(
    `update user_cloud_storage_tokens
        set status = 'needs_reauth', last_error = $3, next_refresh_at = null, updated_at = now()
      where user_id = $1 and provider = $2`,
    [row.user_id, row.provider, code],
  );
  // `errorCode`, not `code`: the redaction treats a key named `code` as an OAuth authorization code.
  await auditFor(tx, row.user_id, 'cloud_storage.refresh_failed', row.provider, {
    reason: 'needs_reauth',
    errorCode: code,
  });
}
