import { optionalEnv } from '#shared/config';
import { type Tx, withTenant } from '#shared/db/tenant';
import {
  BadGateway,
  Conflict,
  HttpProblem,
  NotFound,
  ServiceUnavailable,
  TooManyRequests,
} from '#shared/errors';
import { logger } from '#shared/logger';
import type { ProviderError } from '#shared/providers/errors';
import { FileContentError, PageTokenError, type ProviderFiles, providerFiles } from '#shared/providers/files';
import { classifyApiError } from '#shared/providers/sdk-errors';
import type { Provider } from '#shared/providers/types';
import { type TokenSet, tokenVault, VaultError } from '#shared/vault/token-vault';
import {
  allowSlowRefresh,
  expiresSoon,
  lockConnection,
  markNeedsReauth,
  type RefreshOutcome,
  refreshLockedConnection,
} from './refresh.ts';

/**
 * A provider client for (user, provider) with refresh on use:
 * - the connection is read under the tenant (404 when there is none, 409 reauth-required when it needs new
 *   consent) and its tokens are opened from the vault;
 * - an access token that expires within the margin is refreshed first, under `SELECT … FOR UPDATE`, re-checked
 *   after the lock, so concurrent callers cause one token request; a rotated refresh token is stored in the
 *   same write (the shared refresh core does both);
 * - a 401 from the provider refreshes once more under the lock (only if the stored token is still the one that
 *   failed: someone else may have refreshed meanwhile) and retries the call;
 * - 5xx, timeouts and network failures are retried at most twice with capped exponential backoff and full
 *   jitter, inside the request's deadline; then 502. 429 (and Drive's 403 rate-limit reasons) → 429 with
 *   Retry-After. The SDKs themselves never retry, so this is the one layer that does.
 * Problem details are our own words; provider text never reaches the client.
 */

const MAX_RETRIES = 2;
const RETRY_BASE_MS = 200;
const RETRY_CAP_MS = 2_000;
/** Retry-After when the provider throttles without saying for how long (Drive's 403 rate-limit reasons). */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
/** One attempt never gets more than this, nor is one started with less than the minimum left. */
const MAX_ATTEMPT_MS = 10_000;
const MIN_ATTEMPT_MS = 1_000;
/** A token that still lives this long may serve a request when refreshing it ahead of time failed. */
const USABLE_FOR_MS = 60_000;
/** Kept free at the end of the function's time for the database write and the response. */
const RESPONSE_RESERVE_MS = 1_500;
/** Default function timeout (infra ROUTE_DEFAULTS) when a route states none. */
const DEFAULT_TIMEOUT_SECONDS = 10;

export interface SessionOptions {
  /** Epoch ms by which the whole call must be over (see requestDeadline). */
  deadline?: number;
  /** Base delay of the retry backoff; PROVIDER_RETRY_BASE_MS, else 200 ms. 0 makes retries immediate (tests). */
  retryBaseMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The deadline of an HTTP request: when API Gateway received it plus the function's timeout, minus a reserve. */
export function requestDeadline(
  event: { requestContext?: { timeEpoch?: number } },
  route: { timeoutSeconds?: number },
): number {
  const start = event.requestContext?.timeEpoch ?? Date.now();
  return start + (route.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000 - RESPONSE_RESERVE_MS;
}

/** Capped exponential backoff with full jitter: a random delay in [0, min(cap, base · 2^attempt)). */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(RETRY_CAP_MS, baseMs * 2 ** attempt));
}

const PROVIDER_NAMES: Record<Provider, string> = {
  google_drive: 'Google Drive',
  onedrive: 'OneDrive',
  dropbox: 'Dropbox',
};

export const reauthRequired = (provider: Provider) =>
  new Conflict(
    `The ${PROVIDER_NAMES[provider]} connection has to be authorised again: reconnect it to continue.`,
    'reauth-required',
  );

// ---- Database --------------------------------------------------------------------------------------------

interface ConnectionForUse {
  status: 'active' | 'needs_reauth';
  token_expires_at: string | null;
  last_refreshed_at: string | null;
  tokens_ciphertext: Buffer;
  key_version: number;
}

/**
 * The connection, and last_used_at recorded at most once a minute in the same round trip. The touch skips a
 * row that is locked (a refresh in progress) rather than wait for it: it is bookkeeping, not worth a queue.
 */
async function readConnectionForUse(
  tx: Tx,
  userId: string,
  provider: Provider,
): Promise<ConnectionForUse | undefined> {
  const { rows } = await tx.query<ConnectionForUse>(
    `with touched as (
       update user_cloud_storage_tokens t set last_used_at = now()
        where t.id in (select id from user_cloud_storage_tokens
                        where user_id = $1 and provider = $2
                          and (last_used_at is null or last_used_at < now() - interval '1 minute')
                          for update skip locked)
       returning 1)
     select status, token_expires_at, last_refreshed_at, tokens_ciphertext, key_version
       from user_cloud_storage_tokens where user_id = $1 and provider = $2`,
    [userId, provider],
  );
  return rows[0];
}

async function openTokens(
  row: { tokens_ciphertext: Buffer; key_version: number },
  userId: string,
  provider: Provider,
): Promise<TokenSet> {
  return tokenVault.open(
    { ciphertext: row.tokens_ciphertext, keyVersion: row.key_version },
    { userId, provider },
  );
}

type LockedRefresh = RefreshOutcome | { kind: 'missing' } | { kind: 'current'; tokens: TokenSet };

/** What the caller saw before taking the lock: the token the provider refused, or the row's refresh state. */
type Seen = { failedAccessToken: string } | { expiresAt: string | null; refreshedAt: string | null };

/**
 * Refreshes under the row lock, unless the lock shows that someone else already did while this caller waited:
 * after a 401 when the stored access token is no longer the one that failed, before use when the row's expiry
 * or refresh time changed since it was read. The outcome is committed before it is acted on, so a
 * needs_reauth state and its audit event are kept even though the request then fails.
 */
async function refreshUnderLock(userId: string, provider: Provider, seen: Seen): Promise<string> {
  const outcome = await withTenant<LockedRefresh>(userId, async (tx) => {
    await allowSlowRefresh(tx);
    const row = await lockConnection(tx, userId, provider);
    if (!row) return { kind: 'missing' };
    if (row.status === 'needs_reauth')
      return { kind: 'needs_reauth', code: row.last_error ?? 'needs_reauth' };
    const stored = await openTokens(row, userId, provider);
    const stale =
      'failedAccessToken' in seen
        ? stored.accessToken === seen.failedAccessToken
        : row.token_expires_at === seen.expiresAt && row.last_refreshed_at === seen.refreshedAt;
    if (!stale) return { kind: 'current', tokens: stored };
    return refreshLockedConnection(tx, row, stored);
  });
  switch (outcome.kind) {
    case 'current':
    case 'refreshed':
      return outcome.tokens.accessToken;
    case 'missing':
      throw new NotFound('Connection');
    case 'needs_reauth':
      throw reauthRequired(provider);
    case 'transient':
      logger.warn('Refresh on use failed', { provider, errorCode: outcome.code });
      if (outcome.rateLimited)
        throw new TooManyRequests(
          `${PROVIDER_NAMES[provider]} is limiting requests. Try again later.`,
          outcome.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
        );
      throw new BadGateway(`${PROVIDER_NAMES[provider]} could not renew the connection's access.`);
    case 'config':
      throw new BadGateway(`The connection to ${PROVIDER_NAMES[provider]} could not be renewed.`);
  }
}

/** An API call showed that the grant needs new consent (e.g. a missing scope): recorded like a dead grant. */
async function markReauth(userId: string, provider: Provider, code: string): Promise<void> {
  await withTenant(userId, async (tx) => {
    const row = await lockConnection(tx, userId, provider);
    if (row && row.status !== 'needs_reauth') await markNeedsReauth(tx, row, code);
  });
}

// ---- The session -----------------------------------------------------------------------------------------

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryBase(options: SessionOptions): number {
  if (options.retryBaseMs !== undefined) return options.retryBaseMs;
  const fromEnv = optionalEnv('PROVIDER_RETRY_BASE_MS');
  const value = fromEnv === undefined ? Number.NaN : Number(fromEnv);
  return Number.isFinite(value) && value >= 0 ? value : RETRY_BASE_MS;
}

/** Session-level failures as problems; `not_found` and `access` go back to the caller, who knows what was asked. */
function sessionProblem(error: ProviderError, provider: Provider): HttpProblem | undefined {
  const name = PROVIDER_NAMES[provider];
  switch (error.kind) {
    case 'reauth':
      return reauthRequired(provider);
    case 'rate_limited':
      return new TooManyRequests(
        `${name} is limiting requests. Try again later.`,
        error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
      );
    case 'transient':
      return new BadGateway(`${name} did not answer successfully. Try again later.`);
    case 'expired_token':
      return new BadGateway(`${name} refused the connection's renewed access.`);
    case 'config':
      return error.code === 'not_configured'
        ? new ServiceUnavailable(`${name} is not configured on this server.`, 60, 'provider-not-configured')
        : new BadGateway(`The connection to ${name} is misconfigured.`);
    default:
      return undefined;
  }
}

/**
 * Runs `fn` with a files client of the user's connection to `provider`, refreshing and retrying as described
 * above. Errors that are not provider failures (FileContentError, PageTokenError, problems) pass through
 * untouched; provider `not_found` and `access` failures are thrown as ProviderError for the caller to word.
 */
export async function withProviderSession<T>(
  userId: string,
  provider: Provider,
  fn: (files: ProviderFiles) => Promise<T>,
  options: SessionOptions = {},
): Promise<T> {
  const deadline = options.deadline ?? Date.now() + DEFAULT_TIMEOUT_SECONDS * 1000 - RESPONSE_RESERVE_MS;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? sleepFor;
  try {
    const row = await withTenant(userId, (tx) => readConnectionForUse(tx, userId, provider));
    if (!row) throw new NotFound('Connection');
    if (row.status === 'needs_reauth') throw reauthRequired(provider);
    let accessToken: string;
    if (!expiresSoon(row.token_expires_at)) {
      accessToken = (await openTokens(row, userId, provider)).accessToken;
    } else {
      try {
        accessToken = await refreshUnderLock(userId, provider, {
          expiresAt: row.token_expires_at,
          refreshedAt: row.last_refreshed_at,
        });
      } catch (error) {
        // A throttled or failing token endpoint need not fail a request the current token can still serve.
        const stillValid = !expiresSoon(row.token_expires_at, USABLE_FOR_MS);
        if (!stillValid || !(error instanceof TooManyRequests || error instanceof BadGateway)) throw error;
        accessToken = (await openTokens(row, userId, provider)).accessToken;
      }
    }

    let retries = 0;
    let refreshedAfter401 = false;
    for (;;) {
      const timeoutMs = Math.max(MIN_ATTEMPT_MS, Math.min(MAX_ATTEMPT_MS, deadline - Date.now()));
      try {
        return await fn(providerFiles(provider, accessToken, { timeoutMs }));
      } catch (raw) {
        if (raw instanceof FileContentError || raw instanceof PageTokenError || raw instanceof HttpProblem)
          throw raw;
        const error = classifyApiError(raw);
        if (!error) throw raw;
        logger.warn('Provider call failed', {
          provider,
          kind: error.kind,
          errorCode: error.code,
          status: error.options.status,
          retries,
        });
        if (error.kind === 'expired_token' && !refreshedAfter401) {
          refreshedAfter401 = true;
          accessToken = await refreshUnderLock(userId, provider, { failedAccessToken: accessToken });
          continue;
        }
        if (error.kind === 'transient' && retries < MAX_RETRIES) {
          const delay = Math.max(
            retryDelayMs(retries, retryBase(options), random),
            (error.retryAfterSeconds ?? 0) * 1000,
          );
          if (Date.now() + delay + MIN_ATTEMPT_MS <= deadline) {
            retries += 1;
            await sleep(delay);
            continue;
          }
        }
        if (error.kind === 'reauth') await markReauth(userId, provider, error.code);
        throw sessionProblem(error, provider) ?? error;
      }
    }
  } catch (error) {
    if (error instanceof VaultError) {
      logger.error('Token vault failure on use', { provider, reason: error.reason });
      throw new ServiceUnavailable('Stored credentials could not be read. Try again later.', 5);
    }
    throw error;
  }
}
