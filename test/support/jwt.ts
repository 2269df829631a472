import { createHmac, createPrivateKey, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const cognitoLocalKey = require('cognito-local/lib/keys/cognitoLocal.private.json') as { jwk: object };

/** cognito-local's signing key (public knowledge: it ships in the package), to forge well-signed variants. */
export const cognitoLocalPrivateKey: KeyObject = createPrivateKey({
  key: cognitoLocalKey.jwk as never,
  format: 'jwk',
});

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export function signRs256(
  payload: Record<string, unknown>,
  header: Record<string, unknown>,
  key: KeyObject,
): string {
  const input = `${b64({ alg: 'RS256', typ: 'JWT', ...header })}.${b64(payload)}`;
  const signature = createSign('RSA-SHA256').update(input).sign(key).toString('base64url');
  return `${input}.${signature}`;
}

export function signHs256(
  payload: Record<string, unknown>,
  header: Record<string, unknown>,
  secret: string | Buffer,
): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT', ...header })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export function unsigned(payload: Record<string, unknown>, header: Record<string, unknown>): string {
  return `${b64({ alg: 'none', typ: 'JWT', ...header })}.${b64(payload)}.`;
}

export const decodePart = (token: string, index: 0 | 1): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString('utf8'));

export const otherKey = (): KeyObject => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
