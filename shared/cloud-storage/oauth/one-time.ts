import { randomBytes } from 'node:crypto';
import type { Provider } from '#shared/providers/types';
import { sign } from '#shared/signing/key';

/** State, pending connections and tickets live ten minutes. */
export const OAUTH_TTL_MS = 10 * 60 * 1000;

export const base64url = (bytes: Buffer): string => bytes.toString('base64url');

/** 256 random bits as 43 base64url characters: states and tickets. */
export const randomToken = (): string => base64url(randomBytes(32));

/** States and tickets are stored as their SHA-256 only: a database read gives nothing to replay. */
export const sha256 = async (value: string): Promise<Buffer> =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)));

/**
 * The PKCE verifier of an attempt, derived from its state with the server's signing key (HMAC, 43 characters):
 * recomputed when the callback arrives, so no table ever holds it. A copy of `oauth_states` (a backup, a read
 * replica, a SQL injection) gives nothing that could complete an intercepted authorization code.
 */
export const pkceVerifier = async (userId: string, provider: Provider, state: string): Promise<string> =>
  base64url(await sign('pkce-verifier', [userId, provider, state]));
