import { recordAudit } from '#shared/audit';
import { frontendUrl } from '#shared/config';
import { withoutTenant, withTenant } from '#shared/db/tenant';
import { HttpResponse } from '#shared/http/response';
import { readAccount } from '#shared/providers/account';
import type { ProviderError } from '#shared/providers/errors';
import {
  exchangeAuthorizationCode,
  grantedScopes,
  missingScopes,
  type TokenResponse,
  toTokenSet,
} from '#shared/providers/token-client';
import type { Provider } from '#shared/providers/types';
import { tokenVault } from '#shared/vault/token-vault';
import { consumeOAuthState, insertPendingConnection } from '../connection-store.ts';
import { revokeQuietly } from '../revocation.ts';
import { OAUTH_TTL_MS, pkceVerifier, randomToken, sha256 } from './one-time.ts';

/** The only reasons a callback ever reports: nothing from the request or the provider is reflected. */
export type CallbackFailure = 'access_denied' | 'invalid_state' | 'exchange_failed' | 'provider_error';

const CALLBACK_HEADERS = { 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };

function frontendRedirect(params: Record<string, string>): HttpResponse {
  const url = new URL('/dashboard', frontendUrl());
  url.search = new URLSearchParams(params).toString();
  return HttpResponse.redirect(url.toString(), CALLBACK_HEADERS);
}

const failure = (provider: Provider, reason: CallbackFailure) =>
  frontendRedirect({ cloud_connect: 'error', provider, reason });

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
      // Attempts started by the previous release carry their verifier (for at most ten minutes after a deploy);
      // every other one is derived again from the state.
      codeVerifier: attempt.code_verifier ?? (await pkceVerifier(userId, provider, query.state)),
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
  const missing = missingScopes(provider, scopes);
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
