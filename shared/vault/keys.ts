import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isLambda, optionalEnv } from '#shared/config';
import { VaultConfigurationError } from './errors.ts';

/**
 * Key configuration of the token vault.
 *
 * Every sealed row stores the `key_version` it was sealed under. A version names one wrapping key; the vault
 * seals with the current (highest configured) version and opens a row only with the key of the row's own
 * version. Rotating = configure a new version as current, keep the old one as decrypt-only, run
 * `npm run vault:rotate` until no row is left on the old version, then drop the old version.
 *
 * AWS (KMS keyring). Required whenever the code runs in Lambda (AWS_LAMBDA_FUNCTION_NAME is set):
 *   TOKEN_VAULT_KMS_KEY_ARN        full key ARN of the current KMS key (not an alias: decrypt matches the
 *                                  ARN recorded in the message, and IAM grants name the key).
 *   TOKEN_VAULT_KMS_KEY_VERSION    version number of that key (positive integer, default 1).
 *   TOKEN_VAULT_KMS_PREVIOUS_KEYS  decrypt-only older keys: "1:arn:aws:kms:...,2:arn:aws:kms:..." (each
 *                                  version lower than the current one).
 *   TOKEN_VAULT_KMS_ENDPOINT       optional KMS endpoint override (the loopback fake in tests).
 *   KMS's own yearly rotation of key material keeps the same ARN and needs no new version; a new version is
 *   for moving to a different key (suspected compromise, account or region move).
 *
 * Local (raw AES keyring). Never accepted in Lambda: there is no local or pass-through mode in AWS, ever.
 *   TOKEN_VAULT_LOCAL_KEYS         "1:<base64 32 bytes>,2:<base64 32 bytes>"; the highest version is current.
 *   TOKEN_VAULT_LOCAL_KEY          one base64 32-byte key, version 1.
 *   TOKEN_VAULT_LOCAL_KEY_FILE     otherwise: a key file (default <LOCAL_STATE_DIR or .local>/token-vault.key)
 *                                  generated once with mode 0600 and refused if group/other can read it.
 *
 * Setting both a KMS key and a local key (or both local forms) is ambiguous and refused.
 */
export type VaultKey =
  | { version: number; kind: 'kms'; keyArn: string }
  | { version: number; kind: 'raw'; material: Buffer };

export interface VaultKeys {
  mode: 'kms' | 'local';
  currentVersion: number;
  keys: ReadonlyMap<number, VaultKey>;
  kmsEndpoint: string | undefined;
}

const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export const defaultLocalKeyFile = (): string =>
  path.resolve(optionalEnv('LOCAL_STATE_DIR') ?? '.local', 'token-vault.key');

function parseVersion(raw: string, what: string): number {
  const version = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(version) || version < 1) {
    throw new VaultConfigurationError(`${what} must be a positive integer`);
  }
  return version;
}

/** "1:value,2:value" → [[1, value], [2, value]]; values may contain ':' (ARNs), so only the first one splits. */
function parseVersionedList(raw: string, name: string): Array<[number, string]> {
  const entries: Array<[number, string]> = [];
  for (const item of raw.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const colon = trimmed.indexOf(':');
    if (colon <= 0) throw new VaultConfigurationError(`${name} entries must look like "<version>:<value>"`);
    const version = parseVersion(trimmed.slice(0, colon), `${name} version`);
    if (entries.some(([v]) => v === version)) {
      throw new VaultConfigurationError(`${name} lists version ${version} twice`);
    }
    entries.push([version, trimmed.slice(colon + 1).trim()]);
  }
  if (entries.length === 0) throw new VaultConfigurationError(`${name} is empty`);
  return entries;
}

function rawKey(encoded: string, what: string): Buffer {
  const decoded = Buffer.from(encoded, 'base64');
  if (!BASE64.test(encoded) || decoded.length !== 32) {
    decoded.fill(0);
    // The value itself is never echoed: it is key material.
    throw new VaultConfigurationError(`${what} must be 32 bytes, base64-encoded`);
  }
  // The Encryption SDK wants the key in its own ArrayBuffer, not a slice of Node's shared buffer pool.
  const material = Buffer.alloc(32);
  decoded.copy(material);
  decoded.fill(0);
  return material;
}

function kmsKeyArn(arn: string, what: string): string {
  if (!KEY_ARN.test(arn)) throw new VaultConfigurationError(`${what} must be a full KMS key ARN`);
  return arn;
}

/** Reads the local key file, creating it (0600, exclusive create) on first use. */
function localKeyFromFile(file: string): Buffer {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new VaultConfigurationError(`cannot create the local key file ${file}`);
    }
  }
  const stat = statSync(file);
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new VaultConfigurationError(
      `the local key file ${file} must be readable by its owner only (chmod 600)`,
    );
  }
  return rawKey(readFileSync(file, 'utf8').trim(), `The local key file ${file}`);
}

function kmsKeys(currentArn: string): VaultKeys {
  const currentVersion = parseVersion(
    optionalEnv('TOKEN_VAULT_KMS_KEY_VERSION') ?? '1',
    'TOKEN_VAULT_KMS_KEY_VERSION',
  );
  const keys = new Map<number, VaultKey>([
    [
      currentVersion,
      { version: currentVersion, kind: 'kms', keyArn: kmsKeyArn(currentArn, 'TOKEN_VAULT_KMS_KEY_ARN') },
    ],
  ]);
  const previous = optionalEnv('TOKEN_VAULT_KMS_PREVIOUS_KEYS');
  if (previous) {
    for (const [version, arn] of parseVersionedList(previous, 'TOKEN_VAULT_KMS_PREVIOUS_KEYS')) {
      if (version >= currentVersion) {
        throw new VaultConfigurationError(
          'TOKEN_VAULT_KMS_PREVIOUS_KEYS versions must be lower than TOKEN_VAULT_KMS_KEY_VERSION',
        );
      }
      keys.set(version, {
        version,
        kind: 'kms',
        keyArn: kmsKeyArn(arn, 'TOKEN_VAULT_KMS_PREVIOUS_KEYS entry'),
      });
    }
  }
  return { mode: 'kms', currentVersion, keys, kmsEndpoint: optionalEnv('TOKEN_VAULT_KMS_ENDPOINT') };
}

function localKeys(): VaultKeys {
  const list = optionalEnv('TOKEN_VAULT_LOCAL_KEYS');
  const single = optionalEnv('TOKEN_VAULT_LOCAL_KEY');
  if (list && single) {
    throw new VaultConfigurationError('set TOKEN_VAULT_LOCAL_KEYS or TOKEN_VAULT_LOCAL_KEY, not both');
  }
  const entries: Array<[number, Buffer]> = list
    ? parseVersionedList(list, 'TOKEN_VAULT_LOCAL_KEYS').map(([v, encoded]) => [
        v,
        rawKey(encoded, `TOKEN_VAULT_LOCAL_KEYS version ${v}`),
      ])
    : [[1, single ? rawKey(single, 'TOKEN_VAULT_LOCAL_KEY') : localKeyFromFile(localKeyFile())]];
  const keys = new Map<number, VaultKey>(
    entries.map(([version, material]) => [version, { version, kind: 'raw', material }]),
  );
  return { mode: 'local', currentVersion: Math.max(...keys.keys()), keys, kmsEndpoint: undefined };
}

const localKeyFile = (): string => optionalEnv('TOKEN_VAULT_LOCAL_KEY_FILE') ?? defaultLocalKeyFile();

/** Resolves the key configuration from the environment; throws VaultConfigurationError, never falls back. */
export function loadVaultKeys(): VaultKeys {
  const arn = optionalEnv('TOKEN_VAULT_KMS_KEY_ARN');
  const hasLocal = Boolean(optionalEnv('TOKEN_VAULT_LOCAL_KEYS') ?? optionalEnv('TOKEN_VAULT_LOCAL_KEY'));
  if (isLambda()) {
    if (!arn) {
      throw new VaultConfigurationError(
        'TOKEN_VAULT_KMS_KEY_ARN is required when running in AWS Lambda; tokens are never stored without KMS',
      );
    }
    if (hasLocal) {
      throw new VaultConfigurationError(
        'local raw keys (TOKEN_VAULT_LOCAL_KEY[S]) are not accepted in AWS Lambda',
      );
    }
  }
  if (arn) {
    if (hasLocal) {
      throw new VaultConfigurationError('set either TOKEN_VAULT_KMS_KEY_ARN or a local key, not both');
    }
    return kmsKeys(arn);
  }
  return localKeys();
}

/**
 * Resolves the key configuration now, without loading the encryption SDK. Every function whose route or job has
 * the `vault` capability calls it at module load (functions/define-handler.ts), so a Lambda deployed without its
 * KMS key fails at init, not on the first request.
 */
export function assertVaultConfigured(): void {
  loadVaultKeys();
}
