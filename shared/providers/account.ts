import { dropboxClient } from './adapters/sdk-setup.ts';
import { providerEndpoints } from './config.ts';
import { ProviderError } from './errors.ts';
import { providerFiles } from './files.ts';
import { sdkError } from './sdk-errors.ts';
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
export async function revokeGrant(
  provider: Provider,
  tokens: { accessToken: string; refreshToken?: string },
): Promise<boolean> {
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
      await dropboxClient(tokens.accessToken, { timeoutMs: 10_000 }).authTokenRevoke();
      return true;
    }
    return false;
  } catch (error) {
    throw sdkError(error);
  }
}
