import { withTenant } from '#shared/db/tenant';
import { clientCredentials, OAUTH_SETTINGS, providerEndpoints, redirectUri } from '#shared/providers/config';
import type { Provider } from '#shared/providers/types';
import { consumeRateLimit } from '#shared/rate-limit';
import { holdsRefreshToken, insertOAuthState } from '../connection-store.ts';
import { providerNotConfigured } from '../problems.ts';
import { base64url, OAUTH_TTL_MS, pkceVerifier, randomToken, sha256 } from './one-time.ts';

/**
 * Starts an authorization: a 256-bit state (stored hashed, single use, 10 minutes, bound to user and
 * provider) and a PKCE S256 challenge of a verifier derived from the state with the server's signing key (fresh
 * per attempt, never stored), with the provider's offline-access parameters.
 */
export async function startConnect(
  userId: string,
  provider: Provider,
): Promise<{ authorizationUrl: string; expiresAt: string }> {
  const credentials = await clientCredentials(provider);
  if (!credentials) throw providerNotConfigured(provider);
  await consumeRateLimit(userId, 'connect');
  const state = randomToken();
  // Derived, not stored: the callback recomputes it from the state (see pkceVerifier).
  const codeChallenge = base64url(await sha256(await pkceVerifier(userId, provider, state)));
  const expiresAt = new Date(Date.now() + OAUTH_TTL_MS);
  const redirect = redirectUri(provider);
  const stateHash = await sha256(state);
  // Stored and audited (cloud_storage.connect_started) in one statement.
  const holds = await withTenant(userId, async (tx) => {
    await insertOAuthState(tx, {
      userId,
      provider,
      stateHash,
      redirectUri: redirect,
      expiresAt,
    });
    return holdsRefreshToken(tx, userId, provider);
  });
  const settings = OAUTH_SETTINGS[provider];
  // Google: `prompt=consent` only when no refresh token is held (a reconnect that still holds one keeps it;
  // every forced consent mints another, and Google keeps only the newest 100 per account and client).
  const authorizeParams =
    provider === 'google_drive' && holds
      ? Object.fromEntries(Object.entries(settings.authorizeParams).filter(([key]) => key !== 'prompt'))
      : settings.authorizeParams;
  const url = new URL(providerEndpoints()[provider].authorizeUrl);
  url.search = new URLSearchParams({
    client_id: credentials.clientId,
    response_type: 'code',
    redirect_uri: redirect,
    scope: settings.scopes.join(' '),
    state,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    ...authorizeParams,
  }).toString();
  return { authorizationUrl: url.toString(), expiresAt: expiresAt.toISOString() };
}
