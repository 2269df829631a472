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

/**
 * One RFC 6749 token request (form POST, client_secret_post) to a provider's token endpoint. The same small
 * client serves the three providers so that code exchange and refresh classify errors identically.
 */
async function tokenRequest(provider: Provider, params: Record<string, string>): Promise<TokenResponse> {
  const credentials = await clientCredentials(provider);
  if (!credentials) throw new ProviderError('config', 'not_configured');
  const body = new URLSearchParams({
    ...params,
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
  });
  let res: Response;
  try {
    res = await fetch(providerEndpoints()[provider].tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(tokenTimeoutMs()),
    });
  } catch (error) {
    throw new ProviderError('transient', (error as Error).name === 'TimeoutError' ? 'timeout' : 'network');
  }
  const json = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (!res.ok || !json || typeof json.access_token !== 'string') {
    throw classifyTokenError(
      res.ok ? 502 : res.status,
      typeof json?.error === 'string' ? json.error : undefined,
      parseRetryAfter(res.headers.get('retry-after')) ??
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
