import type { KmsKeyringNodeInput } from '@aws-crypto/client-node';
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { VaultError } from './errors.ts';

export type KmsClientProvider = NonNullable<KmsKeyringNodeInput['clientProvider']>;

/** One KMS client per region and endpoint, created on first use and kept for the container's life. */
const clients = new Map<string, KMSClient>();

function kmsClient(region: string, endpoint: string | undefined): KMSClient {
  const cacheKey = `${region}|${endpoint ?? ''}`;
  let client = clients.get(cacheKey);
  if (!client) {
    client = new KMSClient({
      ...(region ? { region } : {}),
      ...(endpoint ? { endpoint } : {}),
      // A stalled KMS must not hold a Lambda until its timeout; the SDK's standard retry handles transient
      // failures and never retries DisabledException/AccessDenied (no retry storm on a dead key).
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
    });
    clients.set(cacheKey, client);
  }
  return client;
}

export function resetKmsClients(): void {
  for (const client of clients.values()) client.destroy();
  clients.clear();
}

/**
 * What the Encryption SDK's KMS keyring calls, backed by the shared client. Each operation gets its own
 * adapter so that the KMS exception of *this* operation can be classified afterwards: the keyring folds
 * decrypt failures into one string, which is no basis for deciding between "key disabled" and "throttled".
 */
export function kmsAdapter(endpoint: string | undefined, failures: unknown[]): KmsClientProvider {
  const record = async <T>(call: Promise<T>): Promise<T> => {
    try {
      return await call;
    } catch (error) {
      failures.push(error);
      throw error;
    }
  };
  return (region) => {
    const client = kmsClient(region || process.env.AWS_REGION || '', endpoint);
    return {
      generateDataKey: (input) => record(client.send(new GenerateDataKeyCommand(input))),
      decrypt: (input) => record(client.send(new DecryptCommand(input))),
      encrypt: (input) => record(client.send(new EncryptCommand(input))),
    };
  };
}

const KEY_UNUSABLE = new Set([
  'DisabledException',
  'KMSInvalidStateException',
  'NotFoundException',
  'AccessDeniedException',
  'InvalidKeyUsageException',
  'InvalidArnException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const CIPHERTEXT_REJECTED = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

/** Maps a KMS failure to a VaultError; only the exception name is kept, never its message or request. */
export function kmsFailure(error: unknown): VaultError {
  const name = typeof (error as { name?: unknown })?.name === 'string' ? (error as Error).name : 'Error';
  if (KEY_UNUSABLE.has(name)) {
    return new VaultError('key-unusable', `KMS refused the token vault key (${name})`, name);
  }
  if (CIPHERTEXT_REJECTED.has(name)) {
    return new VaultError('decrypt-failed', `KMS could not decrypt the data key (${name})`, name);
  }
  // No name in this message: transport errors are named like `TimeoutError`, and the database layer treats
  // "timeout" in a message as a database outage. The name is still in `kmsError`.
  return new VaultError('kms-unavailable', 'KMS is unavailable', name);
}
