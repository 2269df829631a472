import http from 'node:http';
import https from 'node:https';
import { intEnv } from '#shared/config';
import type { TokenSet } from '#shared/vault/token-vault';
import { clientCredentials, OAUTH_SETTINGS, providerEndpoints } from './config.ts';
import { classifyTokenError, ProviderError, parseRetryAfter } from './errors.ts';
import type { Provider } from './types.ts';

export interface TokenResponse {
  accessToken: string;
  refreshToken?: string;
  tokenType: string;
  /** Space-separated scopes the provider granted, when it says. */
  scope?: string;
  expiresIn?: number;
}

/**
 * How long one token request may take (PROVIDER_TOKEN_TIMEOUT_MS, default 8 s). The refresh holds its row lock
 * while waiting, so this bounds the lock; tests shorten it to exercise timeouts quickly.
 */
const tokenTimeoutMs = (): number => intEnv('PROVIDER_TOKEN_TIMEOUT_MS', 8_000) || 8_000;

/** The most a token response may weigh (a token set with an id_token is a few KiB). */
const MAX_RESPONSE_BYTES = 256 * 1024;

/**
 * One keep-alive agent per scheme for every token request of the container: the TLS connection to a provider's
 * token endpoint (and its session) is reused across rows and invocations. Plain `node:https` rather than global
 * `fetch`: a token request is one small form POST and one small JSON answer, and fetch's WHATWG layers cost
 * about half a millisecond of CPU per request more, per refreshed row. Idle sockets close after 4 s (undici's
 * default), sooner if the server's `Keep-Alive` header says so.
 */
const agents = {
  'https:': new https.Agent({ keepAlive: true, timeout: 4_000 }),
  'http:': new http.Agent({ keepAlive: true, timeout: 4_000 }),
} as const;

interface RawResponse {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/** POSTs the form and reads the whole answer, within `timeoutMs` for both; no redirects are followed. */
function postForm(url: string, form: URLSearchParams, timeoutMs: number): Promise<RawResponse> {
  const target = new URL(url);
  const agent = agents[target.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(new ProviderError('config', 'not_configured'));
  const body = form.toString();
  const signal = AbortSignal.timeout(timeoutMs);
  const failed = () => new ProviderError('transient', signal.aborted ? 'timeout' : 'network');
  return new Promise<RawResponse>((resolve, reject) => {
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        'content-length': Buffer.byteLength(body),
      },
      signal,
    });
    // Never the error itself: its message may quote the request.
    request.on('error', () => reject(failed()));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          // Too large to be a token response: read no further, classified like an unreadable answer.
          response.destroy();
          resolve({ status: response.statusCode ?? 502, retryAfter: undefined, body: '' });
          return;
        }
        chunks.push(chunk);
      });
      // Cut off mid-answer (the deadline, a reset): no answer at all. A no-op once resolved.
      response.on('close', () => {
        if (!response.complete) reject(failed());
      });
      response.on('end', () => {
        const retryAfter = response.headers['retry-after'];
        resolve({
          status: response.statusCode ?? 502,
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    request.end(body);
  });
}

function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const json: unknown = JSON.parse(body);
    return json && typeof json === 'object' && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One RFC 6749 token request (form POST, client_secret_post) to a provider's token endpoint. The same small
 * client serves the three providers so that code exchange and refresh classify errors identically.
 */
async function tokenRequest(provider: Provider, params: Record<string, string>): Promise<TokenResponse> {
  const credentials = await clientCredentials(provider);
  if (!credentials) throw new ProviderError('config', 'not_configured');
  const form = new URLSearchParams({
    ...params,
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
  });
  const res = await postForm(providerEndpoints()[provider].tokenUrl, form, tokenTimeoutMs());
  const ok = res.status >= 200 && res.status < 300;
  const json = parseJson(res.body);
  if (!ok || !json || typeof json.access_token !== 'string') {
    throw classifyTokenError(
      ok ? 502 : res.status,
      typeof json?.error === 'string' ? json.error : undefined,
      parseRetryAfter(res.retryAfter) ??
        (typeof json?.retry_after === 'number' ? json.retry_after : undefined),
      Array.isArray(json?.error_codes)
        ? json.error_codes.filter((n): n is number => typeof n === 'number')
        : undefined,
    );
  }
  return {
    accessToken: json.access_token,
    ...(typeof json.refresh_token === 'string' ? { refreshToken: json.refresh_token } : {}),
    tokenType: typeof json.token_type === 'string' ? json.token_type : 'Bearer',
    ...(typeof json.scope === 'string' ? { scope: json.scope } : {}),
    ...(typeof json.expires_in === 'number' || typeof json.expires_in === 'string'
      ? { expiresIn: Number(json.expires_in) }
      : {}),
  };
}

export function exchangeAuthorizationCode(
  provider: Provider,
  input: { code: string; codeVerifier: string; redirectUri: string },
): Promise<TokenResponse> {
  return tokenRequest(provider, {
    grant_type: 'authorization_code',
    code: input.code,
    code_verifier: input.codeVerifier,
    redirect_uri: input.redirectUri,
  });
}

export function refreshAccessToken(provider: Provider, refreshToken: string): Promise<TokenResponse> {
  return tokenRequest(provider, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

/** The scopes a token response granted. Providers that omit `scope` granted what was asked (RFC 6749 §5.1). */
export function grantedScopes(provider: Provider, token: TokenResponse): string[] {
  return (token.scope ?? OAUTH_SETTINGS[provider].scopes.join(' ')).split(/[\s,]+/).filter(Boolean);
}

/**
 * Microsoft may name a scope fully qualified with its resource (by URL or by Graph's application id) and does not
 * promise its casing; Google answers the short OpenID names in their long form. Scopes are compared in this form.
 */
const SCOPE_ALIASES: Record<Provider, { prefixes: string[]; names: Record<string, string> }> = {
  google_drive: {
    prefixes: [],
    names: {
      email: 'https://www.googleapis.com/auth/userinfo.email',
      profile: 'https://www.googleapis.com/auth/userinfo.profile',
    },
  },
  onedrive: {
    prefixes: ['https://graph.microsoft.com/', '00000003-0000-0000-c000-000000000000/'],
    names: {},
  },
  dropbox: { prefixes: [], names: {} },
};

function normaliseScope(provider: Provider, scope: string): string {
  const aliases = SCOPE_ALIASES[provider];
  let s = scope.trim().toLowerCase();
  for (const prefix of aliases.prefixes) if (s.startsWith(prefix)) s = s.slice(prefix.length);
  return aliases.names[s] ?? s;
}

/** The required scopes a grant lacks, compared per provider (resource prefix stripped, case-insensitive). */
export function missingScopes(provider: Provider, granted: readonly string[]): string[] {
  const have = new Set(granted.map((s) => normaliseScope(provider, s)));
  return OAUTH_SETTINGS[provider].requiredScopes.filter((s) => !have.has(normaliseScope(provider, s)));
}

/**
 * The token set to seal from a token response. What a response leaves out is kept from the previous set: the
 * refresh token (a refresh that does not rotate, or a re-consent without `prompt=consent`) and the scopes
 * (Dropbox answers a refresh with only `access_token`, `token_type` and `expires_in`).
 */
export function toTokenSet(
  token: TokenResponse,
  previous: Pick<TokenSet, 'refreshToken' | 'scope'> = {},
): TokenSet {
  const refreshToken = token.refreshToken ?? previous.refreshToken;
  const scope = token.scope ?? previous.scope;
  return {
    accessToken: token.accessToken,
    ...(refreshToken ? { refreshToken } : {}),
    tokenType: token.tokenType,
    ...(scope ? { scope } : {}),
    ...(token.expiresIn ? { expiresAt: new Date(Date.now() + token.expiresIn * 1000).toISOString() } : {}),
  };
}
