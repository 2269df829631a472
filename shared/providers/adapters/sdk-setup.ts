import { type drive_v3, drive as driveApi } from '@googleapis/drive';
import { AuthenticationHandler, Client, HTTPMessageHandler } from '@microsoft/microsoft-graph-client';
import { Dropbox } from 'dropbox';
import { OAuth2Client } from 'google-auth-library';
import { providerEndpoints } from '../config.ts';

/**
 * How each SDK is pointed at the configured endpoints (the real hosts in AWS, the loopback sandbox in tests) and
 * kept from retrying or refreshing on its own: retries and refreshes happen in exactly one place, the provider
 * session (shared/cloud-storage/provider-session.ts), under the connection's row lock.
 */

const DEFAULT_TIMEOUT_MS = 15_000;

export interface SdkOptions {
  /** Aborts the SDK's requests after this long (one attempt of the provider session). */
  timeoutMs?: number;
}

/**
 * The Dropbox SDK always builds `https://api.dropboxapi.com/...` and `https://content.dropboxapi.com/...`.
 * This fetch rebases those onto the configured endpoints (identity in AWS, the sandbox in tests), gives every
 * request a timeout, and adds the `buffer()` that the SDK's Node download path expects of a response.
 */
export function dropboxFetch(options: SdkOptions = {}): typeof fetch {
  const { apiBaseUrl, contentBaseUrl } = providerEndpoints().dropbox;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const rebased = url
      .replace(/^https:\/\/api\.dropboxapi\.com/, apiBaseUrl.replace(/\/+$/, ''))
      .replace(/^https:\/\/content\.dropboxapi\.com/, contentBaseUrl.replace(/\/+$/, ''));
    const res = await fetch(rebased, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) });
    return Object.assign(res, { buffer: async () => Buffer.from(await res.arrayBuffer()) });
  }) as typeof fetch;
}

/** Dropbox with only an access token: given a refresh token and app key it would refresh by itself. */
export function dropboxClient(accessToken: string, options: SdkOptions = {}): Dropbox {
  return new Dropbox({ accessToken, fetch: dropboxFetch(options) });
}

/** Hosts the Graph SDK may send the bearer to besides graph.microsoft.com (it matches hostnames only). */
export function graphCustomHosts(): Set<string> {
  return new Set([new URL(providerEndpoints().onedrive.graphBaseUrl).hostname]);
}

/**
 * A Graph client whose middleware chain is authentication + HTTP only: the default chain's RetryHandler
 * (429/503/504) and RedirectHandler are left out, so the session is the one layer that retries and the
 * `/content` redirect can be followed without the bearer.
 */
export function graphClient(accessToken: string, options: SdkOptions = {}): Client {
  return Client.initWithMiddleware({
    middleware: [
      new AuthenticationHandler({ getAccessToken: async () => accessToken }),
      new HTTPMessageHandler(),
    ],
    baseUrl: providerEndpoints().onedrive.graphBaseUrl,
    customHosts: graphCustomHosts(),
    fetchOptions: { signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) },
  });
}

/**
 * A google-auth-library client holding only an access token: with no refresh token and no expiry it never
 * refreshes on its own (refresh happens under our row lock).
 */
export function googleAuth(accessToken: string): OAuth2Client {
  const e = providerEndpoints().google_drive;
  const client = new OAuth2Client({
    endpoints: {
      oauth2TokenUrl: e.tokenUrl,
      oauth2AuthBaseUrl: e.authorizeUrl,
      oauth2RevokeUrl: e.revokeUrl,
    },
  });
  client.setCredentials({ access_token: accessToken });
  return client;
}

/**
 * Drive v3 on the configured root (googleapis keeps only the origin of `rootUrl`), with googleapis' own
 * retries off (`retry: false`: it would retry 5xx and 429 by itself).
 */
export function googleDriveClient(auth: OAuth2Client, options: SdkOptions = {}): drive_v3.Drive {
  return driveApi({
    version: 'v3',
    // @googleapis/drive bundles its own copy of the auth library's types; the client is the same class.
    auth: auth as never,
    rootUrl: providerEndpoints().google_drive.driveRootUrl,
    retry: false,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
}
