import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  type EncryptionContext,
  type KeyringNode,
  KmsKeyringNode,
  NodeAlgorithmSuite,
  type NodeDecryptionRequest,
  NodeDefaultCryptographicMaterialsManager,
  type NodeEncryptionMaterial,
  type NodeEncryptionRequest,
  type NodeMaterialsManager,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import * as z from 'zod/mini';
import { PROVIDERS, type Provider } from '#shared/providers/types';
import { VaultError } from './errors.ts';
import { loadVaultKeys, type VaultKey, type VaultKeys } from './keys.ts';
import { kmsAdapter, kmsFailure, resetKmsClients } from './kms.ts';

export { VaultConfigurationError, VaultError, type VaultErrorReason } from './errors.ts';

/** A connection's tokens and the few fields needed to use them. Sealed together, as one ciphertext. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  tokenType?: string;
  scope?: string;
  /** ISO 8601 */
  expiresAt?: string;
}
/** Whose tokens these are: bound into the ciphertext as its encryption context. */
export interface VaultContext {
  userId: string;
  provider: Provider;
}
/** What gets stored: `tokens_ciphertext` and `key_version` of the row. */
export interface SealedTokens {
  ciphertext: Buffer;
  keyVersion: number;
}

import { TOKEN_VAULT_PURPOSE } from './purpose.ts';

export { TOKEN_VAULT_PURPOSE };
/** Raw AES keyring identity (local only). The version is part of the key name, so v1 data never unwraps under v2. */
export const LOCAL_KEY_NAMESPACE = 'brand-cloud/token-vault';
export const localKeyName = (version: number): string => `v${version}`;

/**
 * Non-signing, key-committing suite. Seal and open run in the same trust domain (the same functions hold the
 * same KMS permissions), so an ECDSA signature proves nothing GCM's tag does not; skipping it makes both
 * operations ~3-5x faster and the messages ~100 bytes smaller. Key commitment stays: a ciphertext cannot be
 * crafted to decrypt to different plaintexts under different data keys.
 */
const SUITE = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;

// One data key per message and no caching materials manager: every seal asks KMS for a fresh data key and
// every open asks KMS to unwrap it. A data-key cache across users would be useless (each user/provider has its
// own encryption context) and would widen the blast radius of one leaked data key.
const COMMITMENT_POLICY = CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT;
const esdk = buildClient({ commitmentPolicy: COMMITMENT_POLICY, maxEncryptedDataKeys: 1 });

/** Largest sealed payload accepted by open; provider token sets are a few KiB at most. */
const MAX_BODY_BYTES = 64 * 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const TokenSetSchema = z.object({
  accessToken: z.string().check(z.minLength(1)),
  refreshToken: z.optional(z.string().check(z.minLength(1))),
  tokenType: z.optional(z.string().check(z.minLength(1))),
  scope: z.optional(z.string()),
  expiresAt: z.optional(z.iso.datetime({ offset: true })),
});
const PayloadSchema = z.extend(TokenSetSchema, { v: z.literal(1) });

let keysCache: VaultKeys | undefined;
const rawKeyrings = new Map<number, KeyringNode>();

function keys(): VaultKeys {
  keysCache ??= loadVaultKeys();
  return keysCache;
}

/** The exact context a row's ciphertext must carry. UUIDs are compared in PostgreSQL's canonical lower case. */
function encryptionContext(ctx: VaultContext): EncryptionContext {
  if (typeof ctx?.userId !== 'string' || !UUID.test(ctx.userId)) {
    throw new VaultError('invalid-input', 'Vault context user id must be a UUID');
  }
  if (!(PROVIDERS as readonly string[]).includes(ctx.provider)) {
    throw new VaultError('invalid-input', 'Vault context provider is not a known provider');
  }
  return { purpose: TOKEN_VAULT_PURPOSE, user_id: ctx.userId.toLowerCase(), provider: ctx.provider };
}

/** Exact equality: no missing key, no extra key, same case, same value. */
function sameContext(actual: EncryptionContext, expected: EncryptionContext): boolean {
  const actualKeys = Object.keys(actual);
  const expectedKeys = Object.keys(expected);
  return (
    actualKeys.length === expectedKeys.length &&
    expectedKeys.every((key) => Object.hasOwn(actual, key) && actual[key] === expected[key])
  );
}

function keyringFor(key: VaultKey, endpoint: string | undefined, kmsFailures: unknown[]): KeyringNode {
  if (key.kind === 'kms') {
    // Built per operation (cheap) so KMS failures can be attributed to this operation; the KMS client itself
    // is shared. generatorKeyId doubles as the only key allowed to decrypt (strict mode, no discovery).
    return new KmsKeyringNode({
      generatorKeyId: key.keyArn,
      clientProvider: kmsAdapter(endpoint, kmsFailures),
    });
  }
  let keyring = rawKeyrings.get(key.version);
  if (!keyring) {
    keyring = new RawAesKeyringNode({
      keyNamespace: LOCAL_KEY_NAMESPACE,
      keyName: localKeyName(key.version),
      unencryptedMasterKey: key.material,
      wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
    });
    rawKeyrings.set(key.version, keyring);
  }
  return keyring;
}

/**
 * Refuses, before any key is touched, a message whose encryption context or suite is not exactly the row's.
 * The Encryption SDK would otherwise happily ask KMS to decrypt a ciphertext moved from another row: the
 * context travels inside the message, so KMS sees a self-consistent request.
 */
class RowBoundMaterialsManager implements NodeMaterialsManager {
  refused = false;
  readonly #inner: NodeDefaultCryptographicMaterialsManager;
  readonly #expected: EncryptionContext;

  constructor(keyring: KeyringNode, expected: EncryptionContext) {
    this.#inner = new NodeDefaultCryptographicMaterialsManager(keyring);
    this.#expected = expected;
  }

  getEncryptionMaterials(request: NodeEncryptionRequest) {
    return this.#inner.getEncryptionMaterials(request);
  }

  decryptMaterials(request: NodeDecryptionRequest) {
    if (request.suite.id !== SUITE || !sameContext(request.encryptionContext, this.#expected)) {
      this.refused = true;
      return Promise.reject(contextMismatch());
    }
    return this.#inner.decryptMaterials(request);
  }
}

/**
 * Encryption materials asked for ahead of the seal that uses them: the keyring's KMS GenerateDataKey (or the
 * local wrap) starts when the manager is built, so its round trip overlaps whatever the caller waits for
 * meanwhile (the provider's token endpoint). Still one data key per message: the materials are handed out
 * once, only for exactly the context and suite they were made for, and zeroed if never used.
 */
class PreparedMaterialsManager implements NodeMaterialsManager {
  #materials: Promise<NodeEncryptionMaterial> | undefined;
  readonly #expected: EncryptionContext;

  constructor(keyring: KeyringNode, expected: EncryptionContext) {
    this.#expected = expected;
    this.#materials = new NodeDefaultCryptographicMaterialsManager(keyring).getEncryptionMaterials({
      suite: new NodeAlgorithmSuite(SUITE),
      encryptionContext: expected,
      commitmentPolicy: COMMITMENT_POLICY,
    });
    // Observed by the seal that uses them (or dropped by discard): never an unhandled rejection meanwhile.
    this.#materials.catch(() => undefined);
  }

  getEncryptionMaterials(request: NodeEncryptionRequest) {
    const materials = this.#materials;
    this.#materials = undefined;
    if (
      !materials ||
      request.suite?.id !== SUITE ||
      !sameContext(request.encryptionContext, this.#expected)
    ) {
      if (materials) void materials.then(zeroMaterial, () => undefined);
      return Promise.reject(new VaultError('encrypt-failed', 'Prepared seal used twice or for another row'));
    }
    return materials;
  }

  decryptMaterials(): never {
    throw new VaultError('decrypt-failed', 'A prepared seal cannot open');
  }

  discard(): void {
    const materials = this.#materials;
    this.#materials = undefined;
    void materials?.then(zeroMaterial, () => undefined);
  }
}

const zeroMaterial = (material: NodeEncryptionMaterial): void => {
  if (material.hasUnencryptedDataKey) material.zeroUnencryptedDataKey();
};

const contextMismatch = () =>
  new VaultError('context-mismatch', 'Sealed tokens belong to a different user, provider or purpose');

function serialise(tokens: TokenSet): Buffer {
  const parsed = TokenSetSchema.safeParse(tokens);
  if (!parsed.success) {
    // Field names only: zod's issues may quote the offending input.
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
    throw new VaultError('invalid-input', `Token set is invalid (${fields.join(', ')})`);
  }
  return Buffer.from(JSON.stringify({ v: 1, ...parsed.data }), 'utf8');
}

function deserialise(plaintext: Buffer): TokenSet {
  let parsed: z.infer<typeof PayloadSchema> | undefined;
  try {
    parsed = PayloadSchema.parse(JSON.parse(plaintext.toString('utf8')));
  } catch {
    parsed = undefined;
  } finally {
    plaintext.fill(0);
  }
  if (!parsed) throw new VaultError('decrypt-failed', 'Sealed token payload is malformed');
  const { v: _version, ...tokens } = parsed;
  return tokens;
}

async function encryptWith(
  materials: KeyringNode | NodeMaterialsManager,
  tokens: TokenSet,
  context: EncryptionContext,
  keyVersion: number,
  kmsFailures: unknown[],
): Promise<SealedTokens> {
  const payload = serialise(tokens);
  try {
    const { result } = await esdk.encrypt(materials, payload, {
      encryptionContext: context,
      suiteId: SUITE,
      plaintextLength: payload.length,
    });
    return { ciphertext: result, keyVersion };
  } catch (error) {
    if (kmsFailures.length > 0) throw kmsFailure(kmsFailures.at(-1));
    if (error instanceof VaultError) throw error;
    throw new VaultError('encrypt-failed', 'Sealing the token set failed');
  } finally {
    payload.fill(0);
  }
}

async function seal(tokens: TokenSet, ctx: VaultContext): Promise<SealedTokens> {
  const config = keys();
  const context = encryptionContext(ctx);
  const key = config.keys.get(config.currentVersion)!;
  const kmsFailures: unknown[] = [];
  return encryptWith(
    keyringFor(key, config.kmsEndpoint, kmsFailures),
    tokens,
    context,
    key.version,
    kmsFailures,
  );
}

/** One seal for one row whose data key is being made already (see `tokenVault.prepareSeal`). */
export interface PreparedSeal {
  /** Seals with the prepared data key; once only. */
  seal(tokens: TokenSet): Promise<SealedTokens>;
  /** Drops the prepared data key unused (zeroed); a no-op after `seal`. */
  discard(): void;
}

function prepareSeal(ctx: VaultContext): PreparedSeal {
  try {
    const config = keys();
    const context = encryptionContext(ctx);
    const key = config.keys.get(config.currentVersion)!;
    const kmsFailures: unknown[] = [];
    const materials = new PreparedMaterialsManager(keyringFor(key, config.kmsEndpoint, kmsFailures), context);
    return {
      seal: (tokens) => encryptWith(materials, tokens, context, key.version, kmsFailures),
      discard: () => materials.discard(),
    };
  } catch (error) {
    // Like `seal`, a bad configuration or context fails the seal (a rejection), never the caller's setup.
    return { seal: () => Promise.reject(error), discard: () => undefined };
  }
}

async function open(sealed: SealedTokens, ctx: VaultContext): Promise<TokenSet> {
  const config = keys();
  const context = encryptionContext(ctx);
  if (!Number.isSafeInteger(sealed?.keyVersion)) {
    throw new VaultError('invalid-input', 'Sealed tokens carry no valid key version');
  }
  const key = config.keys.get(sealed.keyVersion);
  if (!key) {
    throw new VaultError(
      'unknown-key-version',
      `No token vault key is configured for version ${sealed.keyVersion}`,
    );
  }
  if (!(sealed.ciphertext instanceof Uint8Array) || sealed.ciphertext.length === 0) {
    throw new VaultError('invalid-input', 'Sealed tokens carry no ciphertext');
  }
  const kmsFailures: unknown[] = [];
  const cmm = new RowBoundMaterialsManager(keyringFor(key, config.kmsEndpoint, kmsFailures), context);
  let plaintext: Buffer;
  try {
    const output = await esdk.decrypt(cmm, sealed.ciphertext, { maxBodySize: MAX_BODY_BYTES });
    // Checked again on the parsed header (defence in depth: the SDK authenticated it by now).
    if (
      output.messageHeader.suiteId !== SUITE ||
      !sameContext(output.messageHeader.encryptionContext, context)
    ) {
      output.plaintext.fill(0);
      throw contextMismatch();
    }
    plaintext = output.plaintext;
  } catch (error) {
    if (cmm.refused || (error instanceof VaultError && error.reason === 'context-mismatch')) {
      throw contextMismatch();
    }
    if (kmsFailures.length > 0) throw kmsFailure(kmsFailures.at(-1));
    throw new VaultError(
      'decrypt-failed',
      'Sealed tokens could not be decrypted (tampered, corrupt or wrong key)',
    );
  }
  return deserialise(plaintext);
}

/**
 * Seals a connection's token set into one ciphertext (AWS Encryption SDK message, AES-256-GCM data key wrapped
 * by KMS in AWS or a local raw key elsewhere) and opens it again, only for the same user and provider.
 */
export const tokenVault = Object.freeze({
  seal,
  /**
   * Starts making the data key of a seal for this row now (KMS GenerateDataKey), so that the seal itself is
   * local work: for a caller that learns what to seal only after a wait of its own (the provider's token
   * endpoint). Call `discard()` when the seal is not needed after all.
   */
  prepareSeal,
  open,
  /** The version new seals use; rows with another key_version are rotated by `npm run vault:rotate`. */
  currentKeyVersion(): number {
    return keys().currentVersion;
  },
});

/** Forgets the cached key configuration, keyrings and KMS clients (tests that change the environment). */
export function resetVaultForTests(): void {
  keysCache = undefined;
  rawKeyrings.clear();
  resetKmsClients();
}
