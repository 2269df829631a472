import { withTenant } from '#shared/db/tenant';
import { logger } from '#shared/logger';
import type { Provider } from '#shared/providers/types';
import { type TokenSet, tokenVault } from '#shared/vault/token-vault';
import {
  allowSlowRefresh,
  lockConnection,
  providerPausedUntil,
  readConnectionForUse,
} from './connection-store.ts';
import { connectionNotFound, reauthRequired, refreshBackoff, refreshProblem } from './problems.ts';
import {
  expiresSoon,
  inBackoff,
  markNeedsReauth,
  type RefreshOutcome,
  refreshLockedConnection,
  refreshMarginMs,
  secondsUntil,
} from './refresh-core.ts';

/**
 * The access token a request uses, refreshed on use:
 * - the connection is read under the tenant (404 when there is none, 409 reauth-required when it needs new
 *   consent) and its tokens are opened from the vault;
 * - an access token that expires within the margin is refreshed first, under `SELECT … FOR UPDATE`, re-checked
 *   after the lock, so concurrent callers cause one token request; a rotated refresh token is stored in the
 *   same write (the refresh core does both);
 * - a token the provider refused (401) is refreshed once more under the lock, only if the stored token is
 *   still the one that failed: someone else may have refreshed meanwhile;
 * - a transient failure's backoff (`next_refresh_at`, which honours the provider's Retry-After) holds here too,
 *   checked before and again under the lock: within it the token endpoint is not called, whatever the
 *   concurrency. The current token serves if it still can; otherwise 503 with Retry-After;
 * - so does the provider-wide pause the refresh workers set after repeated 5xx/429 from a token endpoint
 *   (`provider_refresh_pauses`, refresh-fanout.ts), read only when a refresh is needed, before and under the lock.
 * Failures are thrown as problems (problems.ts); VaultError passes through for the session to word.
 */

/** A token that still lives this long may serve a request when refreshing it ahead of time failed. */
const USABLE_FOR_MS = 60_000;

type LockedRefresh =
  | RefreshOutcome
  | { kind: 'missing' }
  | { kind: 'current'; tokens: TokenSet }
  /** A transient failure's backoff holds: the token endpoint is not called before `nextRefreshAt`. */
  | { kind: 'backoff'; nextRefreshAt: string };

/** What the caller saw before taking the lock: the token the provider refused, or the row's refresh state. */
type Seen = { failedAccessToken: string } | { expiresAt: string | null; refreshedAt: string | null };

/**
 * Refreshes under the row lock, unless the lock shows that someone else already did while this caller waited:
 * after a 401 when the stored access token is no longer the one that failed, before use when the row's expiry
 * or refresh time changed since it was read. The outcome is committed before it is acted on, so a
 * needs_reauth state and its audit event are kept even though the request then fails.
 */
async function refreshUnderLock(userId: string, provider: Provider, seen: Seen): Promise<LockedRefresh> {
  return withTenant<LockedRefresh>(userId, async (tx) => {
    await allowSlowRefresh(tx);
    const row = await lockConnection(tx, userId, provider);
    if (!row) return { kind: 'missing' };
    if (row.status !== 'active')
      return { kind: 'needs_reauth', code: row.last_error ?? 'needs_reauth', reason: row.health_reason };
    const stored = await tokenVault.open(row.sealed, { userId, provider });
    const stale =
      'failedAccessToken' in seen
        ? stored.accessToken === seen.failedAccessToken
        : row.token_expires_at === seen.expiresAt && row.last_refreshed_at === seen.refreshedAt;
    if (!stale) return { kind: 'current', tokens: stored };
    // Callers queued on the lock behind a failed refresh see its backoff here: one token call per window.
    if (inBackoff(row.next_refresh_at)) return { kind: 'backoff', nextRefreshAt: row.next_refresh_at! };
    // A pause the workers set while this caller waited holds too.
    const pausedUntil = await providerPausedUntil(tx, provider);
    if (pausedUntil) return { kind: 'backoff', nextRefreshAt: pausedUntil };
    return refreshLockedConnection(tx, row, stored);
  });
}

function tokenOf(outcome: LockedRefresh, provider: Provider): string {
  switch (outcome.kind) {
    case 'current':
    case 'refreshed':
      return outcome.tokens.accessToken;
    case 'missing':
      throw connectionNotFound();
    case 'backoff':
      throw refreshBackoff(provider, secondsUntil(outcome.nextRefreshAt));
    default:
      throw refreshProblem(outcome, provider);
  }
}

/** The access token to call the provider with (refreshed first when it expires within the margin). */
export async function accessTokenForUse(userId: string, provider: Provider): Promise<string> {
  const row = await withTenant(userId, (tx) => readConnectionForUse(tx, userId, provider));
  if (!row) throw connectionNotFound();
  if (row.status !== 'active') throw reauthRequired(provider, row.health_reason);
  const current = () => tokenVault.open(row.sealed, { userId, provider });
  if (!expiresSoon(row.token_expires_at, refreshMarginMs(row))) return (await current()).accessToken;
  // A token that can still serve the request is used when refreshing it now is not possible or failed.
  const usable = !expiresSoon(row.token_expires_at, USABLE_FOR_MS);
  const waitUntil = inBackoff(row.next_refresh_at) ? row.next_refresh_at : row.provider_paused_until;
  if (waitUntil) {
    if (usable) return (await current()).accessToken;
    throw refreshBackoff(provider, secondsUntil(waitUntil));
  }
  const outcome = await refreshUnderLock(userId, provider, {
    expiresAt: row.token_expires_at,
    refreshedAt: row.last_refreshed_at,
  });
  if (outcome.kind === 'transient')
    logger.warn('Refresh on use failed', { provider, errorCode: outcome.code });
  if ((outcome.kind === 'transient' || outcome.kind === 'config' || outcome.kind === 'backoff') && usable)
    return (await current()).accessToken;
  return tokenOf(outcome, provider);
}

/** A new access token after the provider refused `failedAccessToken` (401); one refresh, under the lock. */
export async function renewRejectedToken(
  userId: string,
  provider: Provider,
  failedAccessToken: string,
): Promise<string> {
  return tokenOf(await refreshUnderLock(userId, provider, { failedAccessToken }), provider);
}

/** An API call showed that the grant needs new consent (e.g. a missing scope): recorded like a dead grant. */
export async function markConnectionNeedsReauth(
  userId: string,
  provider: Provider,
  code: string,
): Promise<void> {
  await withTenant(userId, async (tx) => {
    const row = await lockConnection(tx, userId, provider);
    if (row && row.status === 'active') await markNeedsReauth(tx, row, code);
  });
}
