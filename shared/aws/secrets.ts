import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: Promise<SecretsManagerClient> | undefined;
const cache = new Map<string, Promise<Record<string, unknown>>>();

/**
 * A JSON secret from Secrets Manager, fetched once per container and cached (a failed fetch is retried).
 * The SDK is imported on first use, not at module load: it is a large module graph, and functions that run
 * with a connection string (locally, in tests) never need it, so it stays out of their cold start.
 */
export function getJsonSecret(secretId: string): Promise<Record<string, unknown>> {
  let pending = cache.get(secretId);
  if (!pending) {
    client ??= import('@aws-sdk/client-secrets-manager').then(
      ({ SecretsManagerClient }) => new SecretsManagerClient({}),
    );
    pending = client.then(async (sm) => {
      const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
      const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
      return JSON.parse(out.SecretString ?? '{}') as Record<string, unknown>;
    });
    pending.catch(() => cache.delete(secretId));
    cache.set(secretId, pending);
  }
  return pending;
}

/**
 * Drops the cached value of a secret, so the next getJsonSecret() reads it again: for a credential that stopped
 * working because the secret rotated (the database pool calls it on an authentication failure).
 */
export function forgetSecret(secretId: string): void {
  cache.delete(secretId);
}
