import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { withTenant } from '#shared/db/tenant';
import type { Provider } from '#shared/providers/types';
import type { SealedTokens } from '#shared/vault/token-vault';
import { withClient } from './db.ts';

/** A connection to the test database as the cluster superuser: sees every row (RLS does not apply). */
export function superuserUrl(database: string): string {
  const url = new URL(inject('adminUrl'));
  url.pathname = `/${database}`;
  return url.toString();
}

/** Inserts a connection row the way the application does: as brand_app, inside the user's tenant context. */
export async function insertConnection(
  userId: string,
  provider: Provider,
  sealed: SealedTokens,
  providerUserId = `acct-${randomBytes(4).toString('hex')}`,
): Promise<string> {
  return withTenant(userId, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `insert into user_cloud_storage_tokens
         (user_id, provider, tokens_ciphertext, key_version, token_expires_at, scopes, provider_user_id, provider_email)
       values ($1, $2, $3, $4, now() + interval '1 hour', '{files.read}', $5, $6)
       returning id`,
      [
        userId,
        provider,
        sealed.ciphertext,
        sealed.keyVersion,
        providerUserId,
        `${providerUserId}@provider.test`,
      ],
    );
    return rows[0]!.id;
  });
}

/** Inserts a pending (unconfirmed) connection as brand_app in the user's context; returns its ticket hash. */
export async function insertPending(
  userId: string,
  provider: Provider,
  sealed: SealedTokens,
): Promise<Buffer> {
  const ticketHash = randomBytes(32);
  await withTenant(userId, (tx) =>
    tx.query(
      `insert into pending_cloud_connections
         (ticket_hash, user_id, provider, tokens_ciphertext, key_version, provider_user_id, expires_at)
       values ($1, $2, $3, $4, $5, 'pending-acct', now() + interval '10 minutes')`,
      [ticketHash, userId, provider, sealed.ciphertext, sealed.keyVersion],
    ),
  );
  return ticketHash;
}

export interface StoredRow {
  user_id: string;
  provider: Provider;
  tokens_ciphertext: Buffer;
  key_version: number;
}

/** Every sealed row of a table, read as the superuser. */
export function readSealedRows(
  database: string,
  table: 'user_cloud_storage_tokens' | 'pending_cloud_connections',
): Promise<StoredRow[]> {
  return withClient(superuserUrl(database), async (c) => {
    const { rows } = await c.query<StoredRow>(
      `select user_id, provider, tokens_ciphertext, key_version from ${table} order by user_id, provider`,
    );
    return rows;
  });
}
