import { optionalEnv } from '#shared/config';
import { HttpProblem } from '#shared/errors';
import { logger } from '#shared/logger';
import { type ProviderDownloads, providerDownloads } from '#shared/providers/downloads';
import { FileContentError, PageTokenError } from '#shared/providers/file-content';
import { providerFiles } from '#shared/providers/files';
import { classifyApiError } from '#shared/providers/sdk-errors';
import type { Provider, ProviderFiles } from '#shared/providers/types';
import { VaultError } from '#shared/vault/token-vault';
import { providerProblem, vaultUnavailable } from './problems.ts';
import { accessTokenForUse, markConnectionNeedsReauth, renewRejectedToken } from './refresh-on-use.ts';

/**
 * The provider session: a files client of the user's connection, and the one retry policy around its calls.
 * - the access token comes from refresh on use (refresh-on-use.ts);
 * - a 401 from the provider renews the token once (under the row lock) and retries the call;
 * - 5xx, timeouts and network failures are retried at most twice with capped exponential backoff and full
 *   jitter, inside the request's deadline; then 502. A 429 with a short Retry-After (≤ 2 s: Dropbox refusing a
 *   simultaneous identical listing) is retried once after it, plus jitter, inside the deadline; other 429s (and
 *   Drive's 403 rate-limit reasons) → 429 with Retry-After. The SDKs themselves never retry, so this is the one
 *   layer that does.
 * Problems are worded in problems.ts; provider text never reaches the client.
 */

const MAX_RETRIES = 2;
const RETRY_BASE_MS = 200;
const RETRY_CAP_MS = 2_000;
/** One attempt never gets more than this, nor is one started with less than the minimum left. */
const MAX_ATTEMPT_MS = 10_000;
const MIN_ATTEMPT_MS = 1_000;
/** A 429 whose Retry-After is at most this is retried once within the request (then plus up to the jitter). */
const SHORT_RETRY_AFTER_SECONDS = 2;
const THROTTLE_JITTER_MS = 1_000;

export interface SessionOptions {
  /** Epoch ms by which the whole call must be over: the request's deadline (`HandlerInput.deadline`). */
  deadline: number;
  /** The longest one attempt may take (default 10 s); whole-file downloads (imports) need longer. */
  maxAttemptMs?: number;
  /** Base delay of the retry backoff; PROVIDER_RETRY_BASE_MS, else 200 ms. 0 makes retries immediate (tests). */
  retryBaseMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Capped exponential backoff with full jitter: a random delay in [0, min(cap, base · 2^attempt)). */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(RETRY_CAP_MS, baseMs * 2 ** attempt));
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryBase(options: SessionOptions): number {
  if (options.retryBaseMs !== undefined) return options.retryBaseMs;
  const fromEnv = optionalEnv('PROVIDER_RETRY_BASE_MS');
  const value = fromEnv === undefined ? Number.NaN : Number(fromEnv);
  return Number.isFinite(value) && value >= 0 ? value : RETRY_BASE_MS;
}

/**
 * Runs `fn` with a files client of the user's connection to `provider`, refreshing and retrying as described
 * above. Errors that are not provider failures (FileContentError, PageTokenError, problems) pass through
 * untouched; provider `not_found` and `access` failures are thrown as ProviderError for the caller to word.
 */
/** What a session's function gets: the files API and, created on first use, the whole-file downloads. */
export type SessionFiles = ProviderFiles & ProviderDownloads;

function sessionFiles(provider: Provider, accessToken: string, timeoutMs: number): SessionFiles {
  let downloads: ProviderDownloads | undefined;
  const lazy = () => {
    downloads ??= providerDownloads(provider, accessToken, { timeoutMs });
    return downloads;
  };
  return {
    ...providerFiles(provider, accessToken, { timeoutMs }),
    describeFile: (fileId) => lazy().describeFile(fileId),
    openFile: (fileId) => lazy().openFile(fileId),
  };
}

export async function withProviderSession<T>(
  userId: string,
  provider: Provider,
  fn: (files: SessionFiles) => Promise<T>,
  options: SessionOptions,
): Promise<T> {
  const { deadline } = options;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? sleepFor;
  try {
    let accessToken = await accessTokenForUse(userId, provider);

    let retries = 0;
    let refreshedAfter401 = false;
    let retriedAfterThrottle = false;
    for (;;) {
      const maxAttempt = options.maxAttemptMs ?? MAX_ATTEMPT_MS;
      const timeoutMs = Math.max(MIN_ATTEMPT_MS, Math.min(maxAttempt, deadline - Date.now()));
      try {
        return await fn(sessionFiles(provider, accessToken, timeoutMs));
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
          accessToken = await renewRejectedToken(userId, provider, accessToken);
          continue;
        }
        // A short Retry-After is "try again in a moment" (Dropbox: an identical listing is still being answered):
        // waited out once, with jitter on top so that the callers it refused do not collide again, when it fits
        // the deadline. A longer one is the client's to wait (429 with Retry-After).
        const retryAfter = error.retryAfterSeconds;
        if (
          error.kind === 'rate_limited' &&
          !retriedAfterThrottle &&
          retryAfter !== undefined &&
          retryAfter <= SHORT_RETRY_AFTER_SECONDS
        ) {
          const delay = Math.round(retryAfter * 1000 + random() * THROTTLE_JITTER_MS);
          if (Date.now() + delay + MIN_ATTEMPT_MS <= deadline) {
            retriedAfterThrottle = true;
            await sleep(delay);
            continue;
          }
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
        if (error.kind === 'reauth') await markConnectionNeedsReauth(userId, provider, error.code);
        throw providerProblem(error, provider) ?? error;
      }
    }
  } catch (error) {
    if (error instanceof VaultError) {
      logger.error('Token vault failure on use', { provider, reason: error.reason });
      throw vaultUnavailable();
    }
    throw error;
  }
}
