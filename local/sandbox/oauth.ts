import type { Provider } from '#shared/providers/types';
import { renderConsentPage, renderErrorPage } from './consent-page.ts';
import {
  basicCredentials,
  isFormBody,
  type RequestContext,
  type Route,
  redirect,
  sendHtml,
  sendJson,
  sleep,
} from './http.ts';
import {
  type Account,
  FULL_SCOPES,
  type IssuedTokens,
  type SandboxState,
  s256,
  type TokenFailure,
  type TokenRequestRecord,
} from './state.ts';

const PENDING_TTL_MS = 10 * 60_000;
const CODE_TTL_MS = 10 * 60_000;
/** RFC 7636 §4.1 (verifier) and the S256 challenge: 43 base64url characters. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const URL_SECRETS = new Set(['code', 'client_secret', 'refresh_token', 'code_verifier', 'grant_type']);

/** What differs between the three authorization servers. */
export interface OAuthSpec {
  provider: Provider;
  name: string;
  /** Path regexes (the Microsoft one has a tenant segment). */
  authorizePath: RegExp;
  tokenPath: RegExp;
  scopeRequired: boolean;
  /** Scopes granted when the request names none (Dropbox: the app's configured scopes). */
  defaultScopes: string[];
  /** Whether the request asks for offline access (a refresh token). */
  offlineRequested: (params: URLSearchParams, scopes: string[]) => boolean;
  /** Whether consent is forced (Google `prompt=consent`: a refresh token even on a repeat consent). */
  forceConsent: (params: URLSearchParams) => boolean;
  /** Google issues a refresh token only on the first offline consent unless consent is forced. */
  refreshOnlyOnFirstConsent: boolean;
  /** Dropbox accepts a PKCE code exchange (and later refreshes) without the client secret. */
  secretOptionalWithPkce: boolean;
  denyDescription: string;
  /** Scopes echoed in the token response (Microsoft leaves out `offline_access`). */
  responseScopes: (granted: string[]) => string[];
  tokenBody: (tokens: IssuedTokens, tokenType: string) => Record<string, unknown>;
  errorBody: (error: string, description: string, subCode?: number) => Record<string, unknown>;
  /** Body of a 429/503 from the token endpoint (Dropbox adds `retry_after`). */
  throttleBody: (status: number, retryAfter: number) => Record<string, unknown>;
  /** Extra query parameters on a successful redirect (Google echoes `scope`). */
  redirectExtras?: (scopes: string[]) => Record<string, string>;
}

function splitScopes(raw: string | null): string[] {
  return (raw ?? '').split(/[\s+]+/).filter(Boolean);
}

function duplicateParam(params: URLSearchParams): string | undefined {
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

function withQuery(base: string, values: Record<string, string | undefined>): string {
  const u = new URL(base);
  for (const [k, v] of Object.entries(values)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

export function oauthRoutes(spec: OAuthSpec, state: SandboxState): Route[] {
  const { provider } = spec;

  const errorPage = (ctx: RequestContext, status: number, error: string, description: string) =>
    sendHtml(ctx.res, status, renderErrorPage(spec.name, error, description));

  const authorizeGet = (ctx: RequestContext) => {
    const params = ctx.url.searchParams;
    const clientId = params.get('client_id');
    if (!state.client(provider, clientId)) {
      errorPage(ctx, 401, 'invalid_client', 'The OAuth client was not found.');
      return;
    }
    const redirectUri = params.get('redirect_uri');
    if (!redirectUri || !state.redirectAllowed(redirectUri)) {
      errorPage(
        ctx,
        400,
        'redirect_uri_mismatch',
        `The redirect URI in the request does not match the ones registered for the client: ${redirectUri ?? '(none)'}`,
      );
      return;
    }
    // From here on the redirect URI is trusted, so errors go back to the client as RFC 6749 §4.1.2.1 says.
    const stateParam = params.get('state') ?? undefined;
    const fail = (error: string, description: string) =>
      redirect(ctx.res, withQuery(redirectUri, { error, error_description: description, state: stateParam }));
    const dup = duplicateParam(params);
    if (dup) return fail('invalid_request', `Parameter included more than once: ${dup}`);
    if (params.get('response_type') !== 'code') {
      return fail('unsupported_response_type', 'Only response_type=code is supported.');
    }
    const challenge = params.get('code_challenge');
    if (!challenge || params.get('code_challenge_method') !== 'S256') {
      return fail('invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256.');
    }
    if (!CHALLENGE.test(challenge)) return fail('invalid_request', 'Malformed code_challenge.');
    const requested = splitScopes(params.get('scope'));
    if (spec.scopeRequired && requested.length === 0) {
      return fail('invalid_request', 'Missing required parameter: scope');
    }
    const scopes = requested.length ? requested : spec.defaultScopes;
    const pending = {
      id: state.newPendingId(),
      provider,
      clientId: clientId!,
      redirectUri,
      state: stateParam,
      scopes,
      codeChallenge: challenge,
      offline: spec.offlineRequested(params, scopes),
      forceConsent: spec.forceConsent(params),
      expiresAt: Date.now() + PENDING_TTL_MS,
    };
    state.pending.set(pending.id, pending);
    const hint = params.get('login_hint');
    sendHtml(
      ctx.res,
      200,
      renderConsentPage({
        providerName: spec.name,
        clientId: clientId!,
        scopes,
        offline: pending.offline,
        email: hint || state.accounts[provider].email,
        action: ctx.url.pathname,
        requestId: pending.id,
      }),
    );
  };

  const authorizePost = async (ctx: RequestContext) => {
    const form = new URLSearchParams((await ctx.body()).toString('utf8'));
    const id = form.get('request') ?? '';
    const pending = state.pending.get(id);
    state.pending.delete(id);
    if (!pending || pending.provider !== provider || pending.expiresAt < Date.now()) {
      errorPage(
        ctx,
        400,
        'invalid_request',
        'This consent request is unknown, used or expired. Start again.',
      );
      return;
    }
    if (form.get('decision') !== 'allow') {
      redirect(
        ctx.res,
        withQuery(pending.redirectUri, {
          error: 'access_denied',
          error_description: spec.denyDescription,
          state: pending.state,
        }),
      );
      return;
    }
    const account = state.accountForEmail(provider, form.get('email') ?? undefined);
    const withheld = new Set(state.behaviour[provider].withheldScopes);
    const scopes = pending.scopes.filter((s) => !withheld.has(s));
    const consentKey = `${provider}\u0000${pending.clientId}\u0000${account.id}`;
    let refreshToken = pending.offline;
    if (refreshToken && spec.refreshOnlyOnFirstConsent && !pending.forceConsent) {
      refreshToken = !state.offlineConsents.has(consentKey);
    }
    if (pending.offline) state.offlineConsents.add(consentKey);
    const code = state.newCode(provider);
    state.codes.set(code, {
      code,
      provider,
      clientId: pending.clientId,
      redirectUri: pending.redirectUri,
      codeChallenge: pending.codeChallenge,
      scopes,
      account,
      refreshToken,
      expiresAt: Date.now() + CODE_TTL_MS,
      used: false,
    });
    redirect(
      ctx.res,
      withQuery(pending.redirectUri, {
        code,
        state: pending.state,
        ...(spec.redirectExtras?.(scopes) ?? {}),
      }),
    );
  };

  const token = async (ctx: RequestContext) => {
    const raw = (await ctx.body()).toString('utf8');
    const form = new URLSearchParams(raw);
    const grantType = form.get('grant_type') ?? '';
    const basic = basicCredentials(ctx.req);
    const record: TokenRequestRecord = {
      provider,
      grantType,
      params: Object.fromEntries(form),
      clientAuth: basic ? 'basic' : form.has('client_secret') ? 'body' : 'none',
      paramsInUrl: [...ctx.url.searchParams.keys()],
    };
    state.tokenRequests.push(record);
    ctx.res.on('finish', () => {
      record.status = ctx.res.statusCode;
    });
    const behaviour = state.behaviour[provider];
    if (behaviour.tokenLatencyMs > 0) await sleep(behaviour.tokenLatencyMs);

    const error = (
      status: number,
      code: string,
      description: string,
      headers: Record<string, string> = {},
    ) => {
      record.error = code;
      sendJson(ctx.res, status, spec.errorBody(code, description), {
        'cache-control': 'no-store',
        pragma: 'no-cache',
        ...headers,
      });
    };

    const failure = state.takeFailure<TokenFailure>(state.tokenFailures[provider]);
    if (failure) {
      switch (failure.kind) {
        case 'delay':
          await sleep(failure.ms);
          break;
        case 'invalid_grant':
          return error(400, 'invalid_grant', 'Token has been expired or revoked. (injected)');
        case 'invalid_client':
          // Dropbox answers a bad client with 400; Google and Microsoft with 401.
          return error(
            provider === 'dropbox' ? 400 : 401,
            'invalid_client',
            'The OAuth client was not found. (injected)',
          );
        case 'server_error':
          return error(500, 'server_error', 'Internal error. (injected)');
        case 'oauth_error':
          record.error = failure.error;
          sendJson(
            ctx.res,
            failure.status ?? 400,
            spec.errorBody(failure.error, 'Injected provider answer.', failure.aadsts),
            { 'cache-control': 'no-store', pragma: 'no-cache' },
          );
          return;
        case 'rate_limited':
        case 'unavailable': {
          const status = failure.kind === 'rate_limited' ? 429 : 503;
          const retryAfter = failure.retryAfterSeconds ?? 1;
          record.error = failure.kind;
          sendJson(ctx.res, status, spec.throttleBody(status, retryAfter), {
            'retry-after': String(retryAfter),
            'cache-control': 'no-store',
          });
          return;
        }
      }
    }

    if (record.paramsInUrl.some((k) => URL_SECRETS.has(k))) {
      // Real Dropbox accepts these in the query (its SDK sends them there); the sandbox refuses credentials in
      // URLs so such a leak fails tests (SECURITY.md §3, case 27).
      return error(400, 'invalid_request', 'sandbox: credentials in the URL are refused; send a form body.');
    }
    if (!isFormBody(ctx.req)) {
      return error(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded.');
    }
    const dup = duplicateParam(form);
    if (dup) return error(400, 'invalid_request', `Parameter included more than once: ${dup}`);

    // Client authentication: HTTP Basic or client_id/client_secret in the body, never both disagreeing.
    const clientId = basic?.id ?? form.get('client_id');
    const secret = basic?.secret ?? form.get('client_secret');
    if (basic && form.has('client_id') && form.get('client_id') !== basic.id) {
      return error(401, 'invalid_client', 'client_id in the body does not match the Authorization header.');
    }
    const client = state.client(provider, clientId);
    if (!client) return error(401, 'invalid_client', 'The OAuth client was not found.');
    if (secret !== null && secret !== client.clientSecret) {
      return error(401, 'invalid_client', 'Invalid client secret.');
    }
    const secretPresented = secret !== null;

    const sendTokens = (tokens: IssuedTokens) => {
      const body = spec.tokenBody(
        { ...tokens, scope: spec.responseScopes(tokens.scope.split(' ').filter(Boolean)).join(' ') },
        'Bearer',
      );
      // Dropbox answers a refresh with these three fields only (no refresh token, scope or account ids).
      const minimal = grantType === 'refresh_token' && behaviour.minimalRefreshResponse;
      sendJson(
        ctx.res,
        200,
        minimal
          ? { access_token: body.access_token, token_type: body.token_type, expires_in: body.expires_in }
          : body,
        { 'cache-control': 'no-store', pragma: 'no-cache' },
      );
    };

    if (grantType === 'authorization_code') {
      const verifier = form.get('code_verifier');
      if (!secretPresented && !(spec.secretOptionalWithPkce && verifier)) {
        return error(401, 'invalid_client', 'client_secret is missing.');
      }
      const code = form.get('code') ?? '';
      const entry = state.codes.get(code);
      if (!entry || entry.provider !== provider || entry.expiresAt < Date.now()) {
        return error(400, 'invalid_grant', 'Malformed auth code.');
      }
      if (entry.used) {
        // RFC 6749 §4.1.2: a replayed code revokes what it produced.
        if (entry.grant) entry.grant.revoked = true;
        return error(400, 'invalid_grant', 'Code was already redeemed.');
      }
      if (entry.clientId !== clientId)
        return error(400, 'invalid_grant', 'Code was issued to another client.');
      if (form.get('redirect_uri') !== entry.redirectUri) {
        return error(400, 'invalid_grant', 'redirect_uri does not match the one used to obtain the code.');
      }
      if (!verifier) return error(400, 'invalid_grant', 'Missing code verifier.');
      if (!VERIFIER.test(verifier)) return error(400, 'invalid_grant', 'Malformed code verifier.');
      if (s256(verifier) !== entry.codeChallenge) {
        return error(400, 'invalid_grant', 'Invalid code verifier.');
      }
      entry.used = true;
      const { grant, tokens } = state.issue(
        provider,
        client.clientId,
        entry.account,
        entry.scopes,
        entry.refreshToken,
        !secretPresented,
      );
      entry.grant = grant;
      return sendTokens(tokens);
    }

    if (grantType === 'refresh_token') {
      const { status, record: refresh } = state.refreshStatus(
        provider,
        form.get('refresh_token') ?? undefined,
      );
      if (status !== 'active' || !refresh) {
        return error(400, 'invalid_grant', 'Token has been expired or revoked.');
      }
      if (refresh.grant.clientId !== clientId) {
        return error(400, 'invalid_grant', 'Refresh token was issued to another client.');
      }
      if (!secretPresented && !(spec.secretOptionalWithPkce && refresh.grant.pkceWithoutSecret)) {
        return error(401, 'invalid_client', 'client_secret is missing.');
      }
      const tokens = state.issueAccess(refresh.grant);
      if (behaviour.rotateRefreshTokens) {
        tokens.refreshToken = state.issueRefresh(refresh.grant);
        if (behaviour.revokeRotatedRefreshTokens) refresh.revoked = true;
      }
      return sendTokens(tokens);
    }

    return error(400, 'unsupported_grant_type', `Unsupported grant_type: ${grantType || '(none)'}`);
  };

  return [
    { method: 'GET', pattern: spec.authorizePath, handler: authorizeGet },
    { method: 'POST', pattern: spec.authorizePath, handler: authorizePost },
    { method: 'POST', pattern: spec.tokenPath, handler: token },
  ];
}

/** Tokens minted directly, skipping the browser, for tests that start from a connected account. */
export function issueDirect(
  state: SandboxState,
  provider: Provider,
  options: { account?: Account; scopes?: string[]; refreshToken?: boolean } = {},
): IssuedTokens {
  const account = options.account ?? state.accounts[provider];
  const scopes = options.scopes ?? FULL_SCOPES[provider];
  return state.issue(
    provider,
    state.clients[provider].clientId,
    account,
    scopes,
    options.refreshToken ?? true,
  ).tokens;
}
