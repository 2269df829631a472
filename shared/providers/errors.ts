/**
 * How a provider failure is handled, shared by refresh on use, the scheduled refresh and the file APIs:
 * - `reauth`: the grant is dead (invalid_grant, consent/interaction required, invalid_rapt) → the
 *   connection becomes `needs_reauth`, no retries until the user reconnects;
 * - `config`: our client is misconfigured (invalid_client, unauthorized_client, deleted_client, expired secret)
 *   → operator alarm, tokens kept;
 * - `rate_limited`: 429 / Drive userRateLimitExceeded → honour Retry-After, back off;
 * - `transient`: 5xx, timeouts, network → bounded retries with backoff and jitter;
 * - `access`: the token is valid but may not do this (missing scope, not a folder/file, not downloadable);
 * - `expired_token`: the access token was refused (401) → refresh once and retry;
 * - `not_found`: the file or folder does not exist (or is not visible to this account) → 404.
 * Provider text is kept out of `message`, which may reach logs; `code` is a short machine code.
 */
export type ProviderErrorKind =
  | 'reauth'
  | 'config'
  | 'rate_limited'
  | 'transient'
  | 'access'
  | 'expired_token'
  | 'not_found';

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    readonly code: string,
    readonly options: {
      status?: number;
      retryAfterSeconds?: number;
      /** The provider's finer code, normalised (`aadsts_700082`): decides the connection's health reason. */
      providerCode?: string;
    } = {},
  ) {
    super(`Provider call failed: ${kind} (${code})`);
    this.name = 'ProviderError';
  }

  get retryAfterSeconds(): number | undefined {
    return this.options.retryAfterSeconds;
  }

  /**
   * A configuration failure that concerns the provider as a whole (our client id or secret): every other
   * connection to the provider would fail the same way, so a refresh pass stops trying that provider. False for
   * the ones that concern one user's organisation only (see CONNECTION_SCOPED_CONFIG) and for every other kind.
   */
  get providerWide(): boolean {
    return this.kind === 'config' && !CONNECTION_SCOPED_CONFIG.has(this.code);
  }
}

const REAUTH = new Set(['invalid_grant', 'interaction_required', 'consent_required', 'invalid_rapt']);
/**
 * Our client, not the user's grant: Microsoft's `unauthorized_client` (the app is not registered in the user's
 * tenant) and Google's `deleted_client` included. Connections stay untouched; the operator is alarmed.
 */
const CONFIG = new Set([
  'invalid_client',
  'unauthorized_client',
  'deleted_client',
  'invalid_scope',
  'unsupported_grant_type',
]);
/**
 * Configuration failures about one user's organisation, not our client: Microsoft's `unauthorized_client` means
 * the app is not allowed in that user's tenant, so the provider's other connections go on.
 */
const CONNECTION_SCOPED_CONFIG = new Set(['unauthorized_client']);
const TRANSIENT = new Set(['temporarily_unavailable', 'server_error']);
/**
 * Every `error` value kept as a code. Anything else a provider puts there (Dropbox's 5xx bodies carry prose) is
 * not a code: it becomes `http_<status>`, so provider text never reaches `last_error`, audit or logs.
 */
const KNOWN_TOKEN_ERRORS = new Set([
  ...REAUTH,
  ...CONFIG,
  ...TRANSIENT,
  'invalid_request',
  'access_denied',
  'unsupported_response_type',
  'rate_limit_exceeded',
  'too_many_requests',
]);

/** The stored code for a token-endpoint error: a known OAuth code, or the HTTP status. */
function tokenErrorCode(status: number, error: string | undefined): string {
  return error !== undefined && KNOWN_TOKEN_ERRORS.has(error) ? error : `http_${status}`;
}

export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Microsoft AADSTS numbers that mean the user (or their admin) must consent or sign in again. */
const AADSTS_REAUTH = new Set([700082, 50173, 70043, 50076, 65001, 90094]);

/** Classifies an OAuth token-endpoint error response (RFC 6749 §5.2): branch on `error`, never on its description. */
export function classifyTokenError(
  status: number,
  error: string | undefined,
  retryAfter?: number,
  /** Microsoft's `error_codes` (AADSTS numbers). */
  errorCodes?: readonly number[],
): ProviderError {
  const code = tokenErrorCode(status, error);
  const aadsts = errorCodes?.find((n) => Number.isInteger(n) && n > 0 && n < 100_000_000);
  if (aadsts !== undefined && AADSTS_REAUTH.has(aadsts)) {
    return new ProviderError('reauth', code, { status, providerCode: `aadsts_${aadsts}` });
  }
  // Retry-After rides on every answer that carries it (429 and 503 alike): the caller's backoff honours it.
  const withRetryAfter = { status, ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }) };
  if (status === 429) return new ProviderError('rate_limited', code, withRetryAfter);
  if (error && REAUTH.has(error)) return new ProviderError('reauth', code, { status });
  if (error && CONFIG.has(error)) return new ProviderError('config', code, { status });
  if (status >= 500 || (error && TRANSIENT.has(error)))
    return new ProviderError('transient', code, withRetryAfter);
  return new ProviderError('config', code, { status });
}
