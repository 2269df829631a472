import { randomBytes } from 'node:crypto';
import { recordAudit } from '#shared/audit';
import { frontendUrl } from '#shared/config';
import { withoutTenant, withTenant } from '#shared/db/tenant';
import { HttpProblem, NotFound, ServiceUnavailable } from '#shared/errors';
import { HttpResponse } from '#shared/http/response';
import { logger } from '#shared/logger';
import { readAccount } from '#shared/providers/account';
import { clientCredentials, OAUTH_SETTINGS, providerEndpoints, redirectUri } from '#shared/providers/config';
import { ProviderError } from '#shared/providers/errors';
import { exchangeAuthorizationCode, type TokenResponse } from '#shared/providers/token-client';
import type { Provider } from '#shared/providers/types';
import { type TokenSet, tokenVault } from '#shared/vault/token-vault';
import { toCloudConnection } from './connections.ts';
import {
  claimPendingConnection,
  consumeOAuthState,
  deleteConnection,
  findConnection,
  insertOAuthState,
  insertPendingConnection,
  sha256,
  upsertConnection,
} from './repository.ts';
import { revokeQuietly } from './revocation.ts';
import type { CloudConnection } from './schemas.ts';

/** State, pending connections and tickets live ten minutes. */
export const OAUTH_TTL_MS = 10 * 60 * 1000;

/** The only reasons a callback ever reports: nothing from the request or the provider is reflected. */
export type CallbackFailure = 'access_denied' | 'invalid_state' | 'exchange_failed' | 'provider_error';

const base64url = (bytes: Buffer) => bytes.toString('base64url');
const randomToken = () => base64url(randomBytes(32)); // 256 bits → 43 characters

class ProviderNotConfigured extends ServiceUnavailable {
  constructor(provider: Provider) {
    super(`Connecting ${provider} is not configured on this server.`, 60, 'provider-not-configured');
  }
}

/**
 * Starts an authorization: a 256-bit state (stored hashed, single use, 10 minutes, bound to user and
 * provider) and a PKCE S256 challenge from a fresh verifier, with the provider's offline-access parameters.
 */
export async function startConnect(
  userId: string,
  provider: Provider,
): Promise<{ authorizationUrl: string; expiresAt: string }> {
  const credentials = await clientCredentials(provider);
  if (!credentials) throw new ProviderNotConfigured(provider);
  const state = randomToken();
  const codeVerifier = randomToken();
  const codeChallenge = base64url(await sha256(codeVerifier));
  const expiresAt = new Date(Date.now() + OAUTH_TTL_MS);
  const redirect = redirectUri(provider);
  const stateHash = await sha256(state);
  // Stored and audited (cloud_storage.connect_started) in one statement.
  await withTenant(userId, (tx) =>
    insertOAuthState(tx, { userId, provider, stateHash, codeVerifier, redirectUri: redirect, expiresAt }),
  );
  const settings = OAUTH_SETTINGS[provider];
  const url = new URL(providerEndpoints()[provider].authorizeUrl);
  url.search = new URLSearchParams({
    client_id: credentials.clientId,
    response_type: 'code',
    redirect_uri: redirect,
    scope: settings.scopes.join(' '),
    state,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    ...settings.authorizeParams,
  }).toString();
  return { authorizationUrl: url.toString(), expiresAt: expiresAt.toISOString() };
}

const CALLBACK_HEADERS = { 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };

function frontendRedirect(params: Record<string, string>): HttpResponse {
  const url = new URL('/dashboard', frontendUrl());
  url.search = new URLSearchParams(params).toString();
  return HttpResponse.redirect(url.toString(), CALLBACK_HEADERS);
}

const failure = (provider: Provider, reason: CallbackFailure) =>
  frontendRedirect({ cloud_connect: 'error', provider, reason });

export function grantedScopes(provider: Provider, token: TokenResponse): string[] {
  // Providers that omit `scope` granted what was asked (RFC 6749 §5.1).
  return (token.scope ?? OAUTH_SETTINGS[provider].scopes.join(' ')).split(/[\s,]+/).filter(Boolean);
}

export function toTokenSet(token: TokenResponse, previousRefreshToken?: string): TokenSet {
  const refreshToken = token.refreshToken ?? previousRefreshToken;
  return {
    accessToken: token.accessToken,
    ...(refreshToken ? { refreshToken } : {}),
    tokenType: token.tokenType,
    ...(token.scope ? { scope: token.scope } : {}),
    ...(token.expiresIn ? { expiresAt: new Date(Date.now() + token.expiresIn * 1000).toISOString() } : {}),
  };
}

/**
 * The provider's redirect back (public: no bearer can ride on a browser navigation). Consumes the state
 * atomically, exchanges the code with the PKCE verifier and the exact redirect URI, reads the account, seals
 * the tokens and parks them as a pending connection behind a one-time ticket for the user who started.
 */
export async function handleCallback(
  provider: Provider,
  query: { code?: string | undefined; state?: string | undefined; error?: string | undefined },
): Promise<HttpResponse> {
  if (!query.state) return failure(provider, 'invalid_state');
  const stateHash = await sha256(query.state);
  const attempt = await withoutTenant((tx) => consumeOAuthState(tx, stateHash));
  if (!attempt || attempt.expired || attempt.provider !== provider) {
    // Forged, replayed, expired, or a state minted for another provider (mix-up): nothing is stored.
    return failure(provider, 'invalid_state');
  }
  const userId = attempt.user_id;
  const audit = (action: string, metadata: Record<string, unknown> = {}) =>
    withTenant(userId, (tx) =>
      recordAudit(tx, { action, resourceType: 'cloud_connection', resourceId: provider, metadata }),
    );

  if (query.error || !query.code) {
    const reason: CallbackFailure = query.error === 'access_denied' ? 'access_denied' : 'provider_error';
    await audit('cloud_storage.connect_failed', { reason });
    return failure(provider, reason);
  }
  let token: TokenResponse;
  try {
    token = await exchangeAuthorizationCode(provider, {
      code: query.code,
      codeVerifier: attempt.code_verifier,
      redirectUri: attempt.redirect_uri,
    });
  } catch (error) {
    await audit('cloud_storage.connect_failed', {
      reason: 'exchange_failed',
      errorCode: (error as ProviderError).code,
    });
    return failure(provider, 'exchange_failed');
  }
  const tokens = toTokenSet(token);
  const scopes = grantedScopes(provider, token);
  const missing = OAUTH_SETTINGS[provider].requiredScopes.filter((s) => !scopes.includes(s));
  if (missing.length > 0) {
    // The user unticked a permission the integration cannot work without: treat it as a refusal.
    await revokeQuietly(provider, tokens);
    await audit('cloud_storage.connect_failed', { reason: 'access_denied', missingScopes: missing });
    return failure(provider, 'access_denied');
  }
  let account: Awaited<ReturnType<typeof readAccount>>;
  try {
    account = await readAccount(provider, tokens.accessToken);
  } catch (error) {
    await revokeQuietly(provider, tokens);
    await audit('cloud_storage.connect_failed', {
      reason: 'provider_error',
      errorCode: (error as ProviderError).code,
    });
    return failure(provider, 'provider_error');
  }
  const sealed = await tokenVault.seal(tokens, { userId, provider });
  const ticket = randomToken();
  await withTenant(userId, async (tx) => {
    await insertPendingConnection(tx, {
      userId,
      provider,
      ticketHash: await sha256(ticket),
      sealed,
      meta: {
        scopes,
        providerUserId: account.id,
        providerEmail: account.email,
        tokenExpiresAt: tokens.expiresAt ?? null,
      },
      expiresAt: new Date(Date.now() + OAUTH_TTL_MS),
    });
    await recordAudit(tx, {
      action: 'cloud_storage.authorized',
      resourceType: 'cloud_connection',
      resourceId: provider,
    });
  });
  return frontendRedirect({ cloud_connect: 'confirm', provider, ticket });
}

/**
 * Activates a pending connection, only for the user who started the flow (RFC 9700 §4.7: a victim lured into
 * completing an attacker's authorization URL cannot link their drive into the attacker's account). A ticket of
 * another user, of another provider, expired or already used → 404, and the pending tokens are discarded and
 * revoked where the provider allows it.
 */
export async function confirmConnection(
  userId: string,
  provider: Provider,
  ticket: string,
): Promise<CloudConnection> {
  const pending = await withoutTenant(async (tx) => claimPendingConnection(tx, await sha256(ticket)));
  if (!pending) throw new NotFound('Pending connection');
  const valid =
    pending.user_id === userId &&
    pending.provider === provider &&
    Date.parse(pending.expires_at) > Date.now();
  if (!valid) {
    try {
      const tokens = await tokenVault.open(
        { ciphertext: pending.tokens_ciphertext, keyVersion: pending.key_version },
        { userId: pending.user_id, provider: pending.provider },
      );
      await revokeQuietly(pending.provider, tokens);
    } catch (error) {
      logger.warn('Could not revoke discarded pending connection', {
        provider: pending.provider,
        error: (error as Error).name,
      });
    }
    throw new NotFound('Pending connection');
  }
  let sealed = { ciphertext: pending.tokens_ciphertext, keyVersion: pending.key_version };
  return withTenant(userId, async (tx) => {
    const previous = await findConnection(tx, provider, { forUpdate: true });
    if (previous) {
      // Re-consent without a refresh token (Google omits it unless prompt=consent) keeps the previous one.
      const fresh = await tokenVault.open(sealed, { userId, provider });
      if (!fresh.refreshToken) {
        const old = await tokenVault.open(
          { ciphertext: previous.tokens_ciphertext, keyVersion: previous.key_version },
          { userId, provider },
        );
        if (old.refreshToken)
          sealed = await tokenVault.seal({ ...fresh, refreshToken: old.refreshToken }, { userId, provider });
      }
    }
    const row = await upsertConnection(tx, {
      userId,
      provider,
      sealed,
      meta: {
        scopes: pending.scopes,
        providerUserId: pending.provider_user_id,
        providerEmail: pending.provider_email,
        tokenExpiresAt: pending.token_expires_at,
      },
    });
    await recordAudit(tx, {
      action: 'cloud_storage.connected',
      resourceType: 'cloud_connection',
      resourceId: provider,
      metadata: {
        accountId: pending.provider_user_id,
        scopes: pending.scopes,
        reconnected: Boolean(previous),
      },
    });
    return toCloudConnection(row);
  });
}

/** Disconnect: revoke at the provider where possible, then delete the tokens. 404 when not connected. */
export async function disconnect(userId: string, provider: Provider): Promise<void> {
  const row = await withTenant(userId, (tx) => findConnection(tx, provider));
  if (!row) throw new NotFound('Connection');
  try {
    const tokens = await tokenVault.open(
      { ciphertext: row.tokens_ciphertext, keyVersion: row.key_version },
      { userId, provider },
    );
    await revokeQuietly(provider, tokens);
  } catch (error) {
    if (error instanceof HttpProblem) throw error;
    logger.warn('Could not open tokens for revocation', { provider, error: (error as Error).name });
  }
  await withTenant(userId, async (tx) => {
    if (!(await deleteConnection(tx, provider))) throw new NotFound('Connection');
    await recordAudit(tx, {
      action: 'cloud_storage.disconnected',
      resourceType: 'cloud_connection',
      resourceId: provider,
    });
  });
}

export { ProviderError };
