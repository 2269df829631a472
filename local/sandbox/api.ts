import type { Provider } from '#shared/providers/types';
import { bearerToken, type RequestContext, sendJson, sleep } from './http.ts';
import type { AccessTokenRecord, Account, ApiCallRecord, ApiFailure, SandboxState } from './state.ts';

export type AuthProblem = 'missing' | 'invalid' | 'expired';

/** How a provider's resource API words its refusals, and which scopes its endpoints need. */
export interface ApiErrors {
  unauthorized: (ctx: RequestContext, problem: AuthProblem) => void;
  failure: (ctx: RequestContext, failure: Exclude<ApiFailure, { kind: 'delay' }>) => void;
  /** Per endpoint name: the grant needs any one of these scopes (compared case-insensitively). */
  requiredScopes: Record<string, readonly string[]>;
  /** The token is valid but its grant lacks the endpoint's scope (Drive 403, Graph 403, Dropbox 401). */
  insufficientScope: (ctx: RequestContext, anyOf: readonly string[]) => void;
}

export interface ApiCall {
  account: Account;
  token: AccessTokenRecord;
  record: ApiCallRecord;
}

/**
 * Every resource-API request passes here: it is recorded, authenticated from the Authorization header only
 * (a token in the URL is refused outright), then any injected failure is applied.
 * Returns undefined when a response has already been sent.
 */
export async function apiGate(
  ctx: RequestContext,
  state: SandboxState,
  provider: Provider,
  errors: ApiErrors,
  endpoint: string,
): Promise<ApiCall | undefined> {
  const bearer = bearerToken(ctx.req);
  const record: ApiCallRecord = {
    provider,
    endpoint,
    method: ctx.method,
    path: ctx.url.pathname,
    authorizationHeader: ctx.req.headers.authorization !== undefined,
    tokenInUrl: ctx.url.searchParams.has('access_token') || ctx.url.searchParams.has('authorization'),
    ...(bearer ? { bearer } : {}),
  };
  state.apiCalls.push(record);
  // The status is known once the head is written, before the client can have read the answer (a 'finish'
  // listener may run after the client already acted on it).
  const writeHead = ctx.res.writeHead.bind(ctx.res) as (...args: unknown[]) => typeof ctx.res;
  ctx.res.writeHead = ((...args: unknown[]) => {
    record.status = args[0] as number;
    return writeHead(...args);
  }) as typeof ctx.res.writeHead;
  if (record.tokenInUrl) {
    // Real providers accept this; the sandbox refuses it so a leak fails tests (SECURITY.md §3, case 27).
    sendJson(ctx.res, 400, {
      error: 'sandbox_token_in_url',
      error_description: 'Access tokens in the URL are refused by the sandbox: use the Authorization header.',
    });
    return undefined;
  }
  if (!bearer) {
    errors.unauthorized(ctx, 'missing');
    return undefined;
  }
  const { status, record: token } = state.accessStatus(provider, bearer);
  if (status !== 'active' || !token) {
    errors.unauthorized(ctx, status === 'expired' ? 'expired' : 'invalid');
    return undefined;
  }
  record.accountId = token.grant.account.id;
  const required = errors.requiredScopes[endpoint];
  if (state.behaviour[provider].enforceScopes && required && !grantHasAny(token.grant.scopes, required)) {
    errors.insufficientScope(ctx, required);
    return undefined;
  }
  const failure = state.takeFailure<ApiFailure>(state.apiFailures[provider], endpoint);
  if (failure) {
    if (failure.kind === 'delay') {
      await sleep(failure.ms);
    } else {
      errors.failure(ctx, failure);
      return undefined;
    }
  }
  return { account: token.grant.account, token, record };
}

function grantHasAny(granted: readonly string[], anyOf: readonly string[]): boolean {
  const have = new Set(granted.map((g) => g.toLowerCase()));
  return anyOf.some((scope) => have.has(scope.toLowerCase()));
}

/** Opaque paging state, bound to what it pages over so a token cannot be replayed on another listing. */
export function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor(raw: string | null | undefined): Record<string, unknown> | undefined {
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
