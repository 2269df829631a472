import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What S3 checks on a browser-based upload (a presigned POST), for the local S3 stand-in, which checks none of
 * it by itself: the SigV4 signature of the policy, its expiry, that every form field is allowed by a condition
 * and every condition holds (exact key, content type, bucket), and the content-length-range. A refusal carries
 * the status and error code S3 answers with.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 */
export interface PostRefusal {
  status: number;
  code: string;
  message: string;
}

export interface PostCheckInput {
  bucket: string;
  /** Every non-file form field, in order, names as sent. */
  fields: Array<[string, string]>;
  fileSize: number | null;
  credentials: { accessKeyId: string; secretAccessKey: string };
  now?: Date;
}

const refuse = (status: number, code: string, message: string): PostRefusal => ({ status, code, message });
const denied = (message: string) => refuse(403, 'AccessDenied', message);

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

export function signPolicy(policyB64: string, secret: string, date: string, region: string): string {
  const kDate = hmac(`AWS4${secret}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, 's3');
  const kSigning = hmac(kService, 'aws4_request');
  return createHmac('sha256', kSigning).update(policyB64).digest('hex');
}

type Condition = Record<string, unknown> | unknown[];

/** Fields S3 never requires a condition for. */
const EXEMPT = new Set(['policy', 'x-amz-signature', 'file']);

export function checkPostPolicy(input: PostCheckInput): PostRefusal | null {
  const fields = new Map<string, string>();
  for (const [name, value] of input.fields) {
    const lower = name.toLowerCase();
    // Condition names match case-insensitively except `key` values etc.; duplicates are refused by S3.
    if (fields.has(lower)) return refuse(400, 'InvalidArgument', `Duplicate form field ${name}`);
    fields.set(lower, value);
  }
  const policyB64 = fields.get('policy');
  const signature = fields.get('x-amz-signature');
  const algorithm = fields.get('x-amz-algorithm');
  const credential = fields.get('x-amz-credential');
  const amzDate = fields.get('x-amz-date');
  if (!policyB64 || !signature || !credential || !amzDate)
    return denied('Bucket POST must contain a policy, a signature, a credential and a date');
  if (algorithm !== 'AWS4-HMAC-SHA256') return refuse(400, 'InvalidArgument', 'Unsupported algorithm');
  const [accessKeyId, date, region, service, terminal, ...rest] = credential.split('/');
  if (!accessKeyId || !date || !region || service !== 's3' || terminal !== 'aws4_request' || rest.length)
    return refuse(400, 'AuthorizationQueryParametersError', 'Malformed credential');
  if (accessKeyId !== input.credentials.accessKeyId)
    return refuse(
      403,
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
    );
  if (!amzDate.startsWith(date)) return refuse(400, 'AuthorizationQueryParametersError', 'Date mismatch');
  const expected = Buffer.from(
    signPolicy(policyB64, input.credentials.secretAccessKey, date, region),
    'utf8',
  );
  const given = Buffer.from(signature.toLowerCase(), 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    return refuse(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    );

  let policy: { expiration?: unknown; conditions?: unknown };
  try {
    policy = JSON.parse(Buffer.from(policyB64, 'base64').toString('utf8'));
  } catch {
    return refuse(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  }
  const expiration = typeof policy.expiration === 'string' ? Date.parse(policy.expiration) : Number.NaN;
  if (!Number.isFinite(expiration)) return refuse(400, 'InvalidPolicyDocument', 'Invalid Policy: expiration');
  if (expiration <= (input.now ?? new Date()).getTime())
    return denied('Invalid according to Policy: Policy expired.');
  if (!Array.isArray(policy.conditions))
    return refuse(400, 'InvalidPolicyDocument', 'Invalid Policy: conditions');

  const covered = new Set<string>();
  const fieldValue = (name: string): string | undefined =>
    name === 'bucket' ? input.bucket : fields.get(name.toLowerCase());
  for (const raw of policy.conditions as Condition[]) {
    if (Array.isArray(raw)) {
      const [op, a, b] = raw as [string, unknown, unknown];
      if (op === 'content-length-range') {
        const min = Number(a);
        const max = Number(b);
        if (input.fileSize === null)
          return refuse(400, 'InvalidArgument', 'POST requires exactly one file upload');
        if (input.fileSize > max)
          return refuse(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
        if (input.fileSize < min)
          return refuse(
            400,
            'EntityTooSmall',
            'Your proposed upload is smaller than the minimum allowed size',
          );
        continue;
      }
      if (typeof a !== 'string' || !a.startsWith('$') || typeof b !== 'string')
        return refuse(400, 'InvalidPolicyDocument', 'Invalid Policy: condition');
      const name = a.slice(1).toLowerCase();
      covered.add(name);
      const value = fieldValue(name) ?? '';
      const ok = op === 'eq' ? value === b : op === 'starts-with' ? value.startsWith(b) : false;
      if (!ok)
        return denied(`Invalid according to Policy: Policy Condition failed: ["${op}", "${a}", "${b}"]`);
    } else if (raw && typeof raw === 'object') {
      for (const [name, expectedValue] of Object.entries(raw)) {
        covered.add(name.toLowerCase());
        if (fieldValue(name) !== expectedValue)
          return denied(
            `Invalid according to Policy: Policy Condition failed: ["eq", "$${name}", "${String(expectedValue)}"]`,
          );
      }
    } else {
      return refuse(400, 'InvalidPolicyDocument', 'Invalid Policy: condition');
    }
  }
  for (const name of fields.keys()) {
    if (EXEMPT.has(name) || name.startsWith('x-ignore-')) continue;
    if (!covered.has(name)) return denied(`Invalid according to Policy: Extra input fields: ${name}`);
  }
  if (!fields.has('key'))
    return refuse(400, 'InvalidArgument', 'Bucket POST must contain a field named key.');
  if (input.fileSize === null) return refuse(400, 'InvalidArgument', 'POST requires exactly one file upload');
  return null;
}
