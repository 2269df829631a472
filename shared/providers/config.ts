import { getJsonSecret } from '#shared/aws/secrets';
import { optionalEnv, requireEnv } from '#shared/config';
import { type Provider, type ProviderEndpoints, REAL_ENDPOINTS } from './types.ts';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

const ENV_NAMES: Record<Provider, [string, string]> = {
  google_drive: ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'],
  onedrive: ['MICROSOFT_CLIENT_ID', 'MICROSOFT_CLIENT_SECRET'],
  dropbox: ['DROPBOX_APP_KEY', 'DROPBOX_APP_SECRET'],
};

/**
 * A provider's OAuth client credentials: from one Secrets Manager secret in AWS (PROVIDER_SECRET_ARN, JSON
 * `{ "google_drive": { "clientId", "clientSecret" }, "onedrive": {…}, "dropbox": {…} }`, cached per container),
 * from the environment / .env locally. `undefined` when the provider is not configured (→ 503).
 */
export async function clientCredentials(provider: Provider): Promise<ClientCredentials | undefined> {
  const secretArn = optionalEnv('PROVIDER_SECRET_ARN');
  if (secretArn) {
    const secret = (await getJsonSecret(secretArn))[provider] as Partial<ClientCredentials> | undefined;
    return secret?.clientId && secret.clientSecret
      ? { clientId: secret.clientId, clientSecret: secret.clientSecret }
      : undefined;
  }
  const [idName, secretName] = ENV_NAMES[provider];
  const clientId = optionalEnv(idName);
  const clientSecret = optionalEnv(secretName);
  return clientId && clientSecret ? { clientId, clientSecret } : undefined;
}

let endpointsCache: { raw: string | undefined; value: ProviderEndpoints } | undefined;

/**
 * Where the providers live. Real hosts by default; PROVIDER_ENDPOINTS (JSON, same shape as ProviderEndpoints)
 * points them at the loopback sandbox in tests and with `PROVIDERS=sandbox npm start`.
 */
export function providerEndpoints(): ProviderEndpoints {
  const raw = optionalEnv('PROVIDER_ENDPOINTS');
  if (!endpointsCache || endpointsCache.raw !== raw) {
    endpointsCache = { raw, value: raw ? (JSON.parse(raw) as ProviderEndpoints) : REAL_ENDPOINTS };
  }
  return endpointsCache!.value;
}

/** The exact redirect URI registered with every provider: `${OAUTH_REDIRECT_BASE_URL}/cloud-storage/callback/{provider}`. */
export function redirectUri(provider: Provider): string {
  return `${requireEnv('OAUTH_REDIRECT_BASE_URL').replace(/\/+$/, '')}/cloud-storage/callback/${provider}`;
}

/** Minimal read scopes and the per-provider parameters that ask for offline access (a refresh token). */
export const OAUTH_SETTINGS: Record<
  Provider,
  { scopes: string[]; requiredScopes: string[]; authorizeParams: Record<string, string> }
> = {
  google_drive: {
    scopes: ['openid', 'email', 'https://www.googleapis.com/auth/drive.readonly'],
    requiredScopes: ['https://www.googleapis.com/auth/drive.readonly'],
    authorizeParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'false' },
  },
  onedrive: {
    scopes: ['offline_access', 'User.Read', 'Files.Read'],
    requiredScopes: ['Files.Read'],
    authorizeParams: { response_mode: 'query', prompt: 'select_account' },
  },
  dropbox: {
    scopes: ['account_info.read', 'files.metadata.read', 'files.content.read'],
    requiredScopes: ['files.metadata.read', 'files.content.read'],
    authorizeParams: { token_access_type: 'offline' },
  },
};
