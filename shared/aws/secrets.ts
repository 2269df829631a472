import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: SecretsManagerClient | undefined;
const cache = new Map<string, Promise<Record<string, unknown>>>();

/** A JSON secret from Secrets Manager, fetched once per container and cached (a failed fetch is retried). */
export function getJsonSecret(secretId: string): Promise<Record<string, unknown>> {
  let pending = cache.get(secretId);
  if (!pending) {
    client ??= new SecretsManagerClient({});
    pending = client
      .send(new GetSecretValueCommand({ SecretId: secretId }))
      .then((out) => JSON.parse(out.SecretString ?? '{}') as Record<string, unknown>);
    pending.catch(() => cache.delete(secretId));
    cache.set(secretId, pending);
  }
  return pending;
}
