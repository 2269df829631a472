/**
 * Why the vault refused. Callers branch on `reason` (and `retryable`), never on the message:
 * - `configuration`: no usable key configured (always fatal; an HTTP function with the `vault` capability
 *   checks at load, so in AWS a missing KMS key fails its init).
 * - `invalid-input`: the token set or the context passed in is malformed.
 * - `encrypt-failed`: sealing failed for a reason other than KMS (not expected; a bug).
 * - `context-mismatch`: the ciphertext was sealed for another user, provider or purpose (a moved row).
 * - `unknown-key-version`: the row's key_version has no configured key.
 * - `decrypt-failed`: tampered or corrupt ciphertext, or a key that cannot unwrap it.
 * - `key-unusable`: KMS refused the key (disabled, pending deletion, not found, access denied). Not retryable:
 *   the caller keeps the stored tokens, emits an error metric and does not retry in a loop.
 * - `kms-unavailable`: throttling, KMS internal error or network failure. Retryable later.
 */
export type VaultErrorReason =
  | 'configuration'
  | 'invalid-input'
  | 'encrypt-failed'
  | 'context-mismatch'
  | 'unknown-key-version'
  | 'decrypt-failed'
  | 'key-unusable'
  | 'kms-unavailable';

/**
 * The vault's only error type. Messages are fixed strings written here; no token material, plaintext,
 * ciphertext or underlying error object (which could carry either) is ever attached. `kmsError` is the
 * name of the KMS exception when there was one (e.g. `DisabledException`), for metrics and alarms.
 */
export class VaultError extends Error {
  readonly reason: VaultErrorReason;
  readonly retryable: boolean;
  readonly kmsError: string | undefined;

  constructor(reason: VaultErrorReason, message: string, kmsError?: string) {
    super(message);
    this.name = new.target.name;
    this.reason = reason;
    this.retryable = reason === 'kms-unavailable';
    this.kmsError = kmsError;
  }
}

/** The vault is not configured (or configured ambiguously). Thrown on first use; fatal, never retried. */
export class VaultConfigurationError extends VaultError {
  constructor(message: string) {
    super('configuration', `Token vault configuration error: ${message}`);
  }
}
