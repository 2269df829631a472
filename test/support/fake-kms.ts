import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for AWS KMS that speaks its JSON protocol (POST /, `X-Amz-Target: TrentService.<Op>`,
 * `application/x-amz-json-1.1`), so the real @aws-sdk/client-kms and the Encryption SDK's KMS keyring run
 * unmodified against it. Like KMS, it really encrypts data keys under master keys it holds (AES-256-GCM), with
 * the encryption context as additional authenticated data: Decrypt with any other context fails with
 * InvalidCiphertextException. Keys can be disabled and access can be denied to exercise failure handling.
 */
export type KmsOperation = 'GenerateDataKey' | 'Decrypt' | 'Encrypt';

export interface KmsCall {
  operation: KmsOperation;
  keyId: string | undefined;
  encryptionContext: Record<string, string> | undefined;
  /** 'ok' or the exception name returned. */
  outcome: string;
}

export interface FakeKms {
  endpoint: string;
  region: string;
  /** Every request received, in order, including refused ones. */
  readonly calls: KmsCall[];
  count(operation: KmsOperation, outcome?: string): number;
  clearCalls(): void;
  /** A new symmetric key; returns its ARN. */
  createKey(): string;
  setKeyEnabled(keyArn: string, enabled: boolean): void;
  /** Every call answers AccessDeniedException while on (an IAM or key policy that no longer allows us). */
  denyAccess(on: boolean): void;
  /** After `successfulCalls` more successful calls, every call fails with `exception` until `recover()`. */
  failAfter(successfulCalls: number, exception?: string): void;
  recover(): void;
  /**
   * Every call of one operation answers `exception` while set (undefined clears it): e.g. a key policy or proxy
   * that refuses GenerateDataKey but still allows Decrypt.
   */
  refuseOperation(operation: KmsOperation, exception: string | undefined): void;
  close(): Promise<void>;
}

interface MasterKey {
  arn: string;
  id: string;
  material: Buffer;
  enabled: boolean;
}

class KmsException extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const MAGIC = Buffer.from('FKMS');
const OPERATIONS = new Set<KmsOperation>(['GenerateDataKey', 'Decrypt', 'Encrypt']);

/** Canonical form of an encryption context, bound as AAD (key order must not matter, like in KMS). */
function contextAad(context: Record<string, string> | undefined): Buffer {
  const entries = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries), 'utf8');
}

function wrap(key: MasterKey, plaintext: Buffer, context: Record<string, string> | undefined): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.material, iv);
  cipher.setAAD(contextAad(context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const arn = Buffer.from(key.arn, 'utf8');
  const arnLength = Buffer.alloc(2);
  arnLength.writeUInt16BE(arn.length);
  return Buffer.concat([MAGIC, arnLength, arn, iv, cipher.getAuthTag(), body]);
}

function unwrap(blob: Buffer, context: Record<string, string> | undefined, keys: Map<string, MasterKey>) {
  const invalid = () => new KmsException('InvalidCiphertextException', 'The ciphertext is invalid.');
  if (blob.length < 6 + 28 || !blob.subarray(0, 4).equals(MAGIC)) throw invalid();
  const arnLength = blob.readUInt16BE(4);
  const arn = blob.subarray(6, 6 + arnLength).toString('utf8');
  const key = keys.get(arn);
  if (!key) throw invalid();
  const offset = 6 + arnLength;
  const decipher = createDecipheriv('aes-256-gcm', key.material, blob.subarray(offset, offset + 12));
  decipher.setAAD(contextAad(context));
  decipher.setAuthTag(blob.subarray(offset + 12, offset + 28));
  try {
    return { key, plaintext: Buffer.concat([decipher.update(blob.subarray(offset + 28)), decipher.final()]) };
  } catch {
    throw invalid();
  }
}

function blobField(body: Record<string, unknown>, name: string): Buffer {
  const value = body[name];
  if (typeof value !== 'string' || value === '') {
    throw new KmsException('ValidationException', `${name} is required.`);
  }
  return Buffer.from(value, 'base64');
}

function contextField(body: Record<string, unknown>): Record<string, string> | undefined {
  const value = body.EncryptionContext;
  if (value === undefined) return undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    Object.values(value).some((v) => typeof v !== 'string')
  ) {
    throw new KmsException('ValidationException', 'EncryptionContext must be a map of strings.');
  }
  return value as Record<string, string>;
}

export async function startFakeKms(options: { region?: string; account?: string } = {}): Promise<FakeKms> {
  const region = options.region ?? 'eu-west-1';
  const account = options.account ?? '111122223333';
  const keys = new Map<string, MasterKey>(); // by ARN and by key id
  const calls: KmsCall[] = [];
  let denied = false;
  let failure: { remaining: number; exception: string } | undefined;
  const refused = new Map<KmsOperation, string>();

  const resolveKey = (keyId: unknown): MasterKey => {
    const key = typeof keyId === 'string' ? keys.get(keyId) : undefined;
    if (!key) throw new KmsException('NotFoundException', 'Key does not exist.');
    return key;
  };
  const usable = (key: MasterKey): MasterKey => {
    if (!key.enabled) throw new KmsException('DisabledException', `${key.arn} is disabled.`);
    return key;
  };

  const operations: Record<KmsOperation, (body: Record<string, unknown>) => Record<string, unknown>> = {
    GenerateDataKey(body) {
      const key = usable(resolveKey(body.KeyId));
      const bytes =
        body.NumberOfBytes ?? (body.KeySpec === 'AES_128' ? 16 : body.KeySpec === 'AES_256' ? 32 : 0);
      if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 1 || bytes > 1024) {
        throw new KmsException('ValidationException', 'NumberOfBytes or KeySpec is required.');
      }
      const plaintext = randomBytes(bytes);
      return {
        KeyId: key.arn,
        Plaintext: plaintext.toString('base64'),
        CiphertextBlob: wrap(key, plaintext, contextField(body)).toString('base64'),
      };
    },
    Encrypt(body) {
      const key = usable(resolveKey(body.KeyId));
      const plaintext = blobField(body, 'Plaintext');
      return {
        KeyId: key.arn,
        CiphertextBlob: wrap(key, plaintext, contextField(body)).toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    Decrypt(body) {
      const { key, plaintext } = unwrap(blobField(body, 'CiphertextBlob'), contextField(body), keys);
      if (body.KeyId !== undefined && resolveKey(body.KeyId) !== key) {
        throw new KmsException(
          'IncorrectKeyException',
          'The key ID in the request does not identify the key.',
        );
      }
      usable(key);
      return {
        KeyId: key.arn,
        Plaintext: plaintext.toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
  };

  const handle = (
    req: http.IncomingMessage,
    raw: string,
  ): { status: number; body: unknown; type?: string } => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^TrentService\./, '') as KmsOperation;
    let body: Record<string, unknown> = {};
    let call: KmsCall | undefined;
    try {
      if (req.method !== 'POST' || !target.startsWith('TrentService.') || !OPERATIONS.has(operation)) {
        throw new KmsException('UnknownOperationException', `Unsupported operation ${target}`);
      }
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
        throw new KmsException('SerializationException', 'Expected application/x-amz-json-1.1');
      }
      body = JSON.parse(raw || '{}') as Record<string, unknown>;
      call = {
        operation,
        keyId: typeof body.KeyId === 'string' ? body.KeyId : undefined,
        encryptionContext: body.EncryptionContext as Record<string, string> | undefined,
        outcome: 'ok',
      };
      calls.push(call);
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) {
        throw new KmsException(
          'MissingAuthenticationTokenException',
          'Request is missing a SigV4 signature.',
        );
      }
      if (denied) {
        throw new KmsException('AccessDeniedException', 'User is not authorized to perform this operation.');
      }
      const refusal = refused.get(operation);
      if (refusal) {
        throw new KmsException(refusal, 'Injected refusal.', refusal.includes('Internal') ? 500 : 400);
      }
      if (failure) {
        if (failure.remaining <= 0) {
          throw new KmsException(
            failure.exception,
            'Injected failure.',
            failure.exception.includes('Internal') ? 500 : 400,
          );
        }
        failure.remaining -= 1;
      }
      return { status: 200, body: operations[operation](body) };
    } catch (error) {
      const e =
        error instanceof KmsException
          ? error
          : new KmsException('SerializationException', 'Malformed request body.');
      if (call) call.outcome = e.type;
      return { status: e.status, body: { __type: e.type, message: e.message }, type: e.type };
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const result = handle(req, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(result.status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
        ...(result.type ? { 'x-amzn-errortype': result.type } : {}),
      });
      res.end(JSON.stringify(result.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    calls,
    count: (operation, outcome = 'ok') =>
      calls.filter((c) => c.operation === operation && c.outcome === outcome).length,
    clearCalls: () => {
      calls.length = 0;
    },
    createKey() {
      const id = randomUUID();
      const key: MasterKey = {
        id,
        arn: `arn:aws:kms:${region}:${account}:key/${id}`,
        material: randomBytes(32),
        enabled: true,
      };
      keys.set(key.arn, key);
      keys.set(key.id, key);
      return key.arn;
    },
    setKeyEnabled(keyArn, enabled) {
      resolveKey(keyArn).enabled = enabled;
    },
    denyAccess(on) {
      denied = on;
    },
    failAfter(successfulCalls, exception = 'KMSInternalException') {
      failure = { remaining: successfulCalls, exception };
    },
    recover() {
      failure = undefined;
    },
    refuseOperation(operation, exception) {
      if (exception) refused.set(operation, exception);
      else refused.delete(operation);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
