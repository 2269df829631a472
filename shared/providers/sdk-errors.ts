import { ProviderError, parseRetryAfter } from './errors.ts';

/**
 * Maps what the three SDKs throw (GaxiosError, GraphError, DropboxResponseError, fetch failures) onto the shared
 * ProviderError classification. Only status codes, fixed codes and Retry-After are kept: provider text never
 * leaves this function.
 */

type HeaderBag = { get?: (name: string) => string | null } & Record<string, unknown>;

interface SdkErrorShape {
  name?: string;
  message?: string;
  status?: number;
  statusCode?: number;
  code?: number | string;
  headers?: HeaderBag;
  error?: unknown; // Dropbox: the parsed body
  body?: unknown; // Graph: the raw body
  response?: { status?: number; headers?: HeaderBag; data?: unknown };
  cause?: unknown;
}

const DRIVE_RATE_LIMIT_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded']);
/** Graph's words for a token without the permission (casing varies between its services). */
const GRAPH_ACCESS_DENIED = new Set(['accessdenied', 'erroraccessdenied', 'authorization_requestdenied']);

function statusOf(e: SdkErrorShape): number | undefined {
  const s =
    e.response?.status ?? e.status ?? e.statusCode ?? (typeof e.code === 'number' ? e.code : undefined);
  return typeof s === 'number' && s >= 100 ? s : undefined;
}

function header(bag: HeaderBag | undefined, name: string): string | undefined {
  if (!bag) return undefined;
  if (typeof bag.get === 'function') return bag.get(name) ?? undefined;
  const found = Object.entries(bag).find(([k]) => k.toLowerCase() === name)?.[1];
  return typeof found === 'string' ? found : undefined;
}

function json(value: unknown): Record<string, unknown> | undefined {
  if (typeof value === 'string') {
    try {
      return json(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

const TIMEOUT_NAMES = new Set(['TimeoutError', 'AbortError']);
const NETWORK_CODE = /^(E[A-Z_]+|UND_ERR_[A-Z_]+)$/;

/** A failure without an HTTP answer: timeout, refused or reset connection, DNS, TLS. */
function networkFailure(e: SdkErrorShape, depth = 0): 'timeout' | 'network' | undefined {
  if (depth > 4 || !e || typeof e !== 'object') return undefined;
  if (e.name && TIMEOUT_NAMES.has(e.name)) return 'timeout';
  if (typeof e.code === 'string' && NETWORK_CODE.test(e.code)) return 'network';
  if (e.name === 'TypeError' && e.message === 'fetch failed') return 'network';
  if (e.name === 'FetchError') return 'network';
  return networkFailure(e.cause as SdkErrorShape, depth + 1);
}

/**
 * The classification of an SDK error, or undefined when it is not a provider failure at all (a bug of ours,
 * which must surface as a 500 rather than be retried as if the provider were down).
 */
export function classifyApiError(error: unknown): ProviderError | undefined {
  if (error instanceof ProviderError) return error;
  if (!error || typeof error !== 'object') return undefined;
  const e = error as SdkErrorShape;
  const status = statusOf(e);
  if (status === undefined) {
    const network = networkFailure(e);
    if (network) return new ProviderError('transient', network);
    // GraphError with statusCode -1 and GaxiosError without a response: the request never got an answer.
    if (e.name === 'GraphError' || e.name === 'GaxiosError') return new ProviderError('transient', 'network');
    return undefined;
  }
  const headers = e.response?.headers ?? e.headers;
  const body = json(e.response?.data) ?? json(e.error) ?? json(e.body);
  const bodyError = json(body?.error);
  const retryAfter =
    parseRetryAfter(header(headers, 'retry-after')) ??
    (typeof bodyError?.retry_after === 'number' ? bodyError.retry_after : undefined);
  const options = { status, ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }) };

  if (status === 401) {
    // Dropbox names the reason; a missing scope needs new consent, an expired or invalid token a refresh.
    if (bodyError?.['.tag'] === 'missing_scope') return new ProviderError('reauth', 'missing_scope', options);
    return new ProviderError('expired_token', 'unauthorized', options);
  }
  if (status === 429) return new ProviderError('rate_limited', 'rate_limited', options);
  if (status === 403) {
    const reasons = Array.isArray(bodyError?.errors)
      ? (bodyError.errors as Array<{ reason?: unknown }>).map((r) => r?.reason)
      : [];
    if (reasons.some((r) => typeof r === 'string' && DRIVE_RATE_LIMIT_REASONS.has(r)))
      return new ProviderError('rate_limited', 'rate_limited', options);
    // The grant lacks a scope (consent withdrawn, or never given): only new consent helps. Drive says so with
    // `insufficientPermissions` (a file's own sharing is `insufficientFilePermissions`); Graph with an access-denied
    // code, which on the caller's own drive (the only one we read) can only be the token's permissions.
    // GraphError carries Graph's code itself (its `body` is the inner error object); raw answers in `error.code`.
    const graphCode =
      [e.code, bodyError?.code, body?.code].find((c): c is string => typeof c === 'string')?.toLowerCase() ??
      '';
    if (reasons.includes('insufficientPermissions') || GRAPH_ACCESS_DENIED.has(graphCode))
      return new ProviderError('reauth', 'missing_scope', options);
    // Drive exports at most 10 MB of a Google Docs Editors file; the file itself is fine.
    if (reasons.includes('exportSizeLimitExceeded'))
      return new ProviderError('access', 'export_too_large', options);
    return new ProviderError('access', 'forbidden', options);
  }
  if (status === 404) return new ProviderError('not_found', 'not_found', options);
  if (status === 409) {
    // Dropbox route errors: `path/not_found/..`, `path/not_folder/..`, `reset/..`.
    const summary = typeof body?.error_summary === 'string' ? body.error_summary : '';
    if (/(^|\/)not_found\b/.test(summary)) return new ProviderError('not_found', 'not_found', options);
    if (/(^|\/)not_folder\b/.test(summary)) return new ProviderError('access', 'not_folder', options);
    if (/(^|\/)not_file\b/.test(summary)) return new ProviderError('access', 'not_file', options);
    if (/^reset\b/.test(summary)) return new ProviderError('access', 'cursor_reset', options);
    return new ProviderError('access', 'http_409', options);
  }
  if (status >= 500 || status === 408) return new ProviderError('transient', `http_${status}`, options);
  return new ProviderError('access', `http_${status}`, options);
}

/** Like classifyApiError, but total: anything unrecognised counts as a transient failure. */
export function sdkError(error: unknown): ProviderError {
  return classifyApiError(error) ?? new ProviderError('transient', 'unexpected');
}
