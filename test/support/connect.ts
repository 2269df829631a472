import type { Provider } from '#shared/providers/types';
import { type TokenSet, tokenVault } from '#shared/vault/token-vault';
import { withClient } from './db.ts';
import type { TestStack, TestUser } from './stack.ts';

/**
 * Connects a provider end to end, the way a browser would: connect → the sandbox consent page → our callback →
 * confirm with the ticket. `email` picks another (stable) sandbox account than the default one.
 */
export async function connectProvider(
  stack: TestStack,
  user: TestUser,
  provider: Provider,
  options: { email?: string } = {},
): Promise<void> {
  const connect = await stack.api<{ authorizationUrl: string }>('GET', `/cloud-storage/connect/${provider}`, {
    token: user.accessToken,
  });
  if (connect.status !== 200) throw new Error(`connect ${provider}: ${connect.status} ${connect.text}`);
  const callbackUrl = await stack.sandbox!.control.consent(connect.body.authorizationUrl, {
    ...(options.email ? { email: options.email } : {}),
  });
  const callback = await fetch(`${stack.url}${callbackUrl.pathname}${callbackUrl.search}`, {
    redirect: 'manual',
  });
  const target = new URL(callback.headers.get('location') ?? 'http://invalid/');
  const ticket = target.searchParams.get('ticket');
  if (callback.status !== 302 || !ticket) {
    throw new Error(`callback ${provider}: ${callback.status} ${target.searchParams.get('reason')}`);
  }
  const confirmed = await stack.api('POST', `/cloud-storage/connections/${provider}/confirm`, {
    token: user.accessToken,
    body: { ticket },
  });
  if (confirmed.status !== 200) throw new Error(`confirm ${provider}: ${confirmed.status} ${confirmed.text}`);
}

export interface StoredConnection {
  status: string;
  tokenExpiresAt: string | null;
  lastUsedAt: string | null;
  tokens: TokenSet;
}

/** The user's stored connection row, its tokens opened with the vault (as the test process shares its key). */
export async function storedConnection(
  stack: TestStack,
  userId: string,
  provider: Provider,
): Promise<StoredConnection | undefined> {
  const row = await withClient(stack.db.appUrl, async (c) => {
    await c.query('begin');
    await c.query("select set_config('app.user_id', $1, true)", [userId]);
    const { rows } = await c.query(
      'select status, token_expires_at, last_used_at, tokens_ciphertext, key_version from user_cloud_storage_tokens where provider = $1',
      [provider],
    );
    await c.query('commit');
    return rows[0];
  });
  if (!row) return undefined;
  return {
    status: row.status,
    tokenExpiresAt: row.token_expires_at ? new Date(row.token_expires_at).toISOString() : null,
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    tokens: await tokenVault.open(
      { ciphertext: row.tokens_ciphertext, keyVersion: row.key_version },
      { userId, provider },
    ),
  };
}

/** Ends a transient failure's backoff on the user's connection, as if its window had passed. */
export async function endRefreshBackoff(stack: TestStack, userId: string, provider: Provider): Promise<void> {
  await withClient(stack.db.appUrl, async (c) => {
    await c.query('begin');
    await c.query("select set_config('app.user_id', $1, true)", [userId]);
    await c.query(
      `update user_cloud_storage_tokens set next_refresh_at = now() - interval '1 second'
        where user_id = $1 and provider = $2`,
      [userId, provider],
    );
    await c.query('commit');
  });
}
