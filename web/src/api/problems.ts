/**
 * Plain words for every problem the API (or API Gateway itself) can answer. One sentence a person can act on;
 * the request id is kept for "quote this when reporting".
 */
export const PROBLEM_MESSAGES: Record<string, string> = {
  'validation-error': 'Some fields need attention.',
  'malformed-json': 'The app sent a request the server could not read. Reload the page and try again.',
  unauthorized: 'Your session has ended. Sign in again.',
  'user-not-confirmed': 'Confirm your email address first: enter the code we sent you.',
  'password-reset-required': 'Your password has to be reset before you can sign in.',
  'challenge-required': 'Your account needs a sign-in step this app does not offer yet.',
  'not-found': 'That no longer exists.',
  conflict: 'That already exists.',
  'email-taken': 'An account with this email address already exists. Sign in instead.',
  'reauth-required': 'This connection has to be reconnected before it can be used.',
  'account-mismatch':
    'You signed in to a different account at the provider. Disconnect first to switch accounts, or sign in to the connected one.',
  'payload-too-large': 'That is too large.',
  'unsupported-media-type':
    'The app sent a request in a format the server does not accept. Reload and try again.',
  'unknown-reference': 'Something this refers to no longer exists.',
  'idempotency-key-reused': 'This request was already sent with different content. Reload and try again.',
  'rate-limited': 'Too many requests right now. Wait a moment and try again.',
  'internal-error': 'Something went wrong on our side. Try again; if it keeps happening, contact support.',
  'provider-error': 'The storage provider did not answer properly. Try again shortly.',
  unavailable: 'The service is briefly unavailable. Try again in a moment.',
  contention: 'Someone else saved at the same time. Try again.',
  'provider-not-configured': 'This provider is not set up on this server yet.',
  'provider-backoff': 'The storage provider had trouble a moment ago. Try again in a few minutes.',
  'provider-unavailable': 'The storage provider is unavailable right now. Try again later.',
};

/** API Gateway's own answers (`{ "message" }`) and answers without a body, by status. */
const BY_STATUS: Record<number, string> = {
  400: 'The request was not accepted.',
  401: PROBLEM_MESSAGES.unauthorized!,
  403: 'You are not allowed to do that.',
  404: 'That no longer exists.',
  413: 'That is too large.',
  429: PROBLEM_MESSAGES['rate-limited']!,
  500: PROBLEM_MESSAGES['internal-error']!,
  502: 'The server could not complete the request. Try again shortly.',
  503: PROBLEM_MESSAGES.unavailable!,
  504: 'The server took too long to answer. Try again.',
};

export interface FieldError {
  path: string;
  message: string;
}

/** A failed call, in words. `fields` maps a field path to its message, for showing next to the input. */
export class ApiProblem extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly slug: string | undefined,
    readonly fields: Record<string, string>,
    readonly requestId: string | undefined,
    readonly retryAfter: number | undefined,
  ) {
    super(message);
  }
}

interface ProblemBody {
  type?: unknown;
  detail?: unknown;
  reason?: unknown;
  requestId?: unknown;
  errors?: unknown;
}

export const slugOf = (type: unknown): string | undefined =>
  typeof type === 'string' && type.startsWith('urn:brand-cloud:problem:')
    ? type.slice('urn:brand-cloud:problem:'.length)
    : undefined;

/** Turns an error answer into an ApiProblem; `overrides` give a slug its words in one place (e.g. sign-in). */
export function toProblem(
  status: number,
  body: unknown,
  headers: Headers | undefined,
  overrides: Record<string, string> = {},
): ApiProblem {
  const problem = (body && typeof body === 'object' ? body : {}) as ProblemBody;
  const slug = slugOf(problem.type);
  const fields: Record<string, string> = {};
  if (Array.isArray(problem.errors)) {
    for (const e of problem.errors as FieldError[]) {
      if (e && typeof e.path === 'string' && typeof e.message === 'string') fields[e.path] ??= e.message;
    }
  }
  const retry = Number(headers?.get('retry-after'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  let message =
    (slug && (overrides[slug] ?? PROBLEM_MESSAGES[slug])) ||
    overrides[String(status)] ||
    BY_STATUS[status] ||
    `The request failed (${status}).`;
  // Reconnecting does not help when the organisation's admin has to approve the app first.
  if (slug === 'reauth-required' && problem.reason === 'admin_consent_required')
    message = `${HEALTH_REASONS.admin_consent_required}: send them the name “Brand Cloud” and ask them to grant it read access to files.`;
  if (slug === 'validation-error' && typeof problem.detail === 'string' && Object.keys(fields).length === 0)
    message = problem.detail;
  if (retryAfter && (status === 429 || status === 503))
    message = `${message} (retry in ${retryAfter} s)`.replace('. (', ' (');
  const requestId = typeof problem.requestId === 'string' ? problem.requestId : undefined;
  return new ApiProblem(message, status, slug, fields, requestId, retryAfter);
}

export const networkProblem = () =>
  new ApiProblem(
    'Cannot reach the server. Check your connection and try again.',
    0,
    undefined,
    {},
    undefined,
    undefined,
  );

/** What the OAuth return's `reason` means. */
export const CONNECT_ERRORS: Record<string, string> = {
  access_denied: 'You chose not to allow access.',
  invalid_state: 'The connection link expired or was already used. Start again.',
  exchange_failed: 'The provider did not complete the sign-in. Try again.',
  provider_error: 'The provider reported an error. Try again later.',
};

/** A connection's health reason in words (WEB.md). */
export const HEALTH_REASONS: Record<string, string> = {
  invalid_grant: 'Access expired or was revoked',
  consent_revoked: 'Access was removed in your Microsoft account',
  admin_consent_required: 'Your organisation’s admin must approve this app',
  conditional_access: 'Your organisation requires you to sign in again',
  scopes_missing: 'Some permissions were not granted',
  provider_unavailable: 'The provider is not answering right now; we keep trying',
  rate_limited: 'The provider is limiting requests right now; we keep trying',
  account_mismatch: 'You signed in with a different account',
};

/** Why a document failed to become ready. */
export const ASSET_FAILURES: Record<string, string> = {
  unsupported_type: 'This kind of file is not supported',
  too_large: 'The file is too large',
  encrypted: 'The file is password-protected',
  corrupt: 'The file is damaged and could not be read',
  no_text: 'No text was found in the file',
  timeout: 'Reading the file took too long or stopped before it finished. Import or upload it again',
  upload_expired: 'The upload did not finish in time',
  provider_error: 'The storage provider could not deliver the file',
  reauth_required: 'The connection has to be reconnected first',
  not_found: 'The file no longer exists at the provider',
};
