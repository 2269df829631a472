import type { TokenSet } from '#shared/vault/token-vault';
import { dropboxClient } from './adapters/sdk-setup.ts';
import { providerEndpoints } from './config.ts';
import { ProviderError } from './errors.ts';
import { providerFiles } from './files.ts';
import { sdkError } from './sdk-errors.ts';
import { refreshAccessToken } from './token-client.ts';
import type { Provider, ProviderAccount } from './types.ts';

/** Reads who the tokens belong to, with the provider's own SDK. */
export async function readAccount(provider: Provider, accessToken: string): Promise<ProviderAccount> {
  try {
    return await providerFiles(provider, accessToken, { timeoutMs: 10_000 }).readAccount();
  } catch (error) {
    throw sdkError(error);
  }
}

/**
 * Revokes a grant where the provider offers it: Google (the refresh token revokes the whole grant) and Dropbox.
 * Microsoft has no per-token revocation; its tokens are simply dropped.
 */
export async function revokeGrant(provider: Provider, tokens: TokenSet): Promise<boolean> {
  try {
    if (provider === 'google_drive') {
      // google-auth-library's revokeToken puts the token in the URL; the form body keeps it out of access logs.
      const res = await fetch(providerEndpoints().google_drive.revokeUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.refreshToken ?? tokens.accessToken }),
        signal: AbortSignal.timeout(10_000),
      });
      // 400 invalid_token: already revoked or expired, which is what we wanted.
      if (!res.ok && res.status !== 400)
        throw new ProviderError('transient', `http_${res.status}`, { status: res.status });
      return true;
    }
    if (provider === 'dropbox') {
      await revokeDropbox(tokens);
      return true;
    }
    return false;
  } catch (error) {
    throw sdkError(error);
  }
}

/** Renew this close to expiry rather than send a token that dies on the way. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * Dropbox revokes a grant (refresh token included) only when asked with a live access token; after its 4 hours
 * it answers 401 `expired_access_token` and the grant lives on. So an expired (or refused) access token is first
 * renewed with the refresh token. The renewed token is used for the revocation only, never stored. A refresh
 * answering that the grant is dead leaves nothing to revoke.
 */
async function revokeDropbox(tokens: TokenSet): Promise<void> {
  const revoke = (accessToken: string) => dropboxClient(accessToken, { timeoutMs: 10_000 }).authTokenRevoke();
  const renew = async (refreshToken: string): Promise<string | undefined> => {
    try {
      return (await refreshAccessToken('dropbox', refreshToken)).accessToken;
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'reauth') return undefined;
      throw error;
    }
  };
  const { refreshToken } = tokens;
  const expired =
    tokens.expiresAt !== undefined && Date.parse(tokens.expiresAt) - Date.now() <= EXPIRY_MARGIN_MS;
  let accessToken: string | undefined = tokens.accessToken;
  let renewed = false;
  if (expired && refreshToken) {
    accessToken = await renew(refreshToken);
    renewed = true;
    if (!accessToken) return;
  }
  try {
    await revoke(accessToken);
  } catch (error) {
    if (renewed || !refreshToken || sdkError(error).kind !== 'expired_token') throw error;
    accessToken = await renew(refreshToken);
    if (accessToken) await revoke(accessToken);
  }
}
