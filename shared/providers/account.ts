import { Client } from '@microsoft/microsoft-graph-client';
import { Dropbox } from 'dropbox';
import { OAuth2Client } from 'google-auth-library';
import { dropboxFetch, graphCustomHosts } from './adapters/sdk-setup.ts';
import { clientCredentials, providerEndpoints } from './config.ts';
import { ProviderError } from './errors.ts';
import type { Provider } from './types.ts';

export interface ProviderAccount {
  /** The provider's stable account key: Google `sub`, Microsoft `id` (oid), Dropbox `account_id`. */
  id: string;
  email: string | null;
}

function statusOf(error: unknown): number | undefined {
  const e = error as {
    status?: number;
    statusCode?: number;
    code?: number | string;
    response?: { status?: number };
  };
  const s =
    e?.status ?? e?.statusCode ?? e?.response?.status ?? (typeof e?.code === 'number' ? e.code : undefined);
  return typeof s === 'number' ? s : undefined;
}

/** Maps an SDK error to the shared classification without copying provider text. */
export function sdkError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  const status = statusOf(error);
  if (status === 401) return new ProviderError('expired_token', 'unauthorized', { status });
  if (status === 429) return new ProviderError('rate_limited', 'rate_limited', { status });
  if (status === 404) return new ProviderError('not_found', 'not_found', { status });
  if (status === 403 || status === 400 || status === 409)
    return new ProviderError('access', `http_${status}`, { status });
  return new ProviderError('transient', status ? `http_${status}` : 'network', status ? { status } : {});
}

function googleClient(
  credentials: { clientId: string; clientSecret: string },
  accessToken: string,
): OAuth2Client {
  const e = providerEndpoints().google_drive;
  const client = new OAuth2Client({
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    endpoints: {
      oauth2TokenUrl: e.tokenUrl,
      oauth2AuthBaseUrl: e.authorizeUrl,
      oauth2RevokeUrl: e.revokeUrl,
    },
  });
  // Only an access token: the library never refreshes on its own; refresh happens under our row lock.
  client.setCredentials({ access_token: accessToken });
  return client;
}

/** Reads who the tokens belong to, with the provider's own SDK. */
export async function readAccount(provider: Provider, accessToken: string): Promise<ProviderAccount> {
  try {
    if (provider === 'google_drive') {
      const credentials = await clientCredentials(provider);
      if (!credentials) throw new ProviderError('config', 'not_configured');
      const res = await googleClient(credentials, accessToken).request<{ sub: string; email?: string }>({
        url: providerEndpoints().google_drive.userinfoUrl,
        timeout: 10_000,
      });
      return { id: res.data.sub, email: res.data.email ?? null };
    }
    if (provider === 'onedrive') {
      const graph = Client.initWithMiddleware({
        authProvider: { getAccessToken: async () => accessToken },
        baseUrl: providerEndpoints().onedrive.graphBaseUrl,
        customHosts: graphCustomHosts(),
      });
      const me = (await graph.api('/me').select(['id', 'mail', 'userPrincipalName']).get()) as {
        id: string;
        mail?: string | null;
        userPrincipalName?: string | null;
      };
      return { id: me.id, email: me.mail ?? me.userPrincipalName ?? null };
    }
    const dbx = new Dropbox({ accessToken, fetch: dropboxFetch() });
    const account = (await dbx.usersGetCurrentAccount()).result;
    return { id: account.account_id, email: account.email ?? null };
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
      await new Dropbox({ accessToken: tokens.accessToken, fetch: dropboxFetch() }).authTokenRevoke();
      return true;
    }
    return false;
  } catch (error) {
    throw sdkError(error);
  }
}
