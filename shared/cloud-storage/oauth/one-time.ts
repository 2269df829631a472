import { randomBytes } from 'node:crypto';

/** State, pending connections and tickets live ten minutes. */
export const OAUTH_TTL_MS = 10 * 60 * 1000;

export const base64url = (bytes: Buffer): string => bytes.toString('base64url');

/** 256 random bits as 43 base64url characters: states, PKCE verifiers, tickets. */
export const randomToken = (): string => base64url(randomBytes(32));

/** States and tickets are stored as their SHA-256 only: a database read gives nothing to replay. */
export const sha256 = async (value: string): Promise<Buffer> =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)));
