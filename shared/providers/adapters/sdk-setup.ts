import { providerEndpoints } from '../config.ts';

/**
 * The Dropbox SDK always builds `https://api.dropboxapi.com/...` and `https://content.dropboxapi.com/...`.
 * This fetch rebases those onto the configured endpoints (identity in AWS, the sandbox in tests).
 */
export function dropboxFetch(): typeof fetch {
  const { apiBaseUrl, contentBaseUrl } = providerEndpoints().dropbox;
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const rebased = url
      .replace(/^https:\/\/api\.dropboxapi\.com/, apiBaseUrl.replace(/\/+$/, ''))
      .replace(/^https:\/\/content\.dropboxapi\.com/, contentBaseUrl.replace(/\/+$/, ''));
    return fetch(rebased, { ...init, signal: init?.signal ?? AbortSignal.timeout(15_000) });
  };
}

/** Hosts the Graph SDK may send the bearer to besides graph.microsoft.com (it matches hostnames only). */
export function graphCustomHosts(): Set<string> {
  return new Set([new URL(providerEndpoints().onedrive.graphBaseUrl).hostname]);
}
