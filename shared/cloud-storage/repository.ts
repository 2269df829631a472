import type { Tx } from '#shared/db/tenant';
import type { Provider } from '#shared/providers/types';
import type { SealedTokens } from '#shared/vault/token-vault';
import { CONNECTION_COLUMNS, type ConnectionRow } from './connections.ts';

export interface ConnectionMeta {
  scopes: string[];
  providerUserId: string;
  providerEmail: string | null;
  tokenExpiresAt: string | null;
}

export interface SealedConnectionRow extends ConnectionRow {
  user_id: string;
  tokens_ciphertext: Buffer;
  key_version: number;
  last_used_at: string | null;
  refresh_failure_count: number;
  next_refresh_at: string | null;
}

export const sha256 = async (value: string): Promise<Buffer> =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)));

// ---- OAuth attempts ----------------------------------------------------------------------------------

export async function insertOAuthState(
  tx: Tx,
  row: {
    userId: string;
    provider: Provider;
    stateHash: Buffer;
    codeVerifier: string;
    redirectUri: string;
    expiresAt: Date;
  },
): Promise<void> {
  // One statement: the user's stale attempts go (the table never grows with abandoned flows), the new attempt
  // is stored and audited.
  await tx.query(
    `with gone as (delete from oauth_states where user_id = $1 and expires_at <= now()),
          attempt as (
            insert into oauth_states (state_hash, user_id, provider, code_verifier, redirect_uri, expires_at)
            values ($2, $1, $3, $4, $5, $6) returning provider)
     insert into audit_log (user_id, action, resource_type, resource_id)
     select $1, 'cloud_storage.connect_started', 'cloud_connection', provider from attempt`,
    [row.userId, row.stateHash, row.provider, row.codeVerifier, row.redirectUri, row.expiresAt],
  );
}

export interface ConsumedState {
  user_id: string;
  provider: Provider;
  code_verifier: string;
  redirect_uri: string;
  expired: boolean;
}

/** Deletes and returns the attempt with this state hash (single use, atomic); runs without a tenant. */
export async function consumeOAuthState(tx: Tx, stateHash: Buffer): Promise<ConsumedState | undefined> {
  const { rows } = await tx.query<ConsumedState>('select * from consume_oauth_state($1)', [stateHash]);
  return rows[0];
}

// ---- Pending connections -----------------------------------------------------------------------------

export async function insertPendingConnection(
  tx: Tx,
  row: {
    userId: string;
    provider: Provider;
    ticketHash: Buffer;
    sealed: SealedTokens;
    meta: ConnectionMeta;
    expiresAt: Date;
  },
): Promise<void> {
  await tx.query(
    `with gone as (delete from pending_cloud_connections where user_id = $1 and expires_at <= now())
     insert into pending_cloud_connections
       (ticket_hash, user_id, provider, tokens_ciphertext, key_version, token_expires_at, scopes,
        provider_user_id, provider_email, expires_at)
     values ($2, $1, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      row.userId,
      row.ticketHash,
      row.provider,
      row.sealed.ciphertext,
      row.sealed.keyVersion,
      row.meta.tokenExpiresAt,
      row.meta.scopes,
      row.meta.providerUserId,
      row.meta.providerEmail,
      row.expiresAt,
    ],
  );
}

export interface PendingRow {
  user_id: string;
  provider: Provider;
  tokens_ciphertext: Buffer;
  key_version: number;
  token_expires_at: string | null;
  scopes: string[];
  provider_user_id: string;
  provider_email: string | null;
  expires_at: string;
}

/** Deletes and returns the pending connection with this ticket hash, whoever it belongs to (checked by the caller). */
export async function claimPendingConnection(tx: Tx, ticketHash: Buffer): Promise<PendingRow | undefined> {
  const { rows } = await tx.query<PendingRow>('select * from claim_pending_connection($1)', [ticketHash]);
  return rows[0];
}

// ---- Connections -------------------------------------------------------------------------------------

const SEALED_COLUMNS = `${CONNECTION_COLUMNS}, user_id, tokens_ciphertext, key_version, last_used_at,
  refresh_failure_count, next_refresh_at`;

export async function findConnection(
  tx: Tx,
  provider: Provider,
  options: { forUpdate?: boolean } = {},
): Promise<SealedConnectionRow | undefined> {
  const { rows } = await tx.query<SealedConnectionRow>(
    `select ${SEALED_COLUMNS} from user_cloud_storage_tokens where provider = $1 ${options.forUpdate ? 'for update' : ''}`,
    [provider],
  );
  return rows[0];
}

export async function listSealedConnections(tx: Tx): Promise<SealedConnectionRow[]> {
  const { rows } = await tx.query<SealedConnectionRow>(
    `select ${SEALED_COLUMNS} from user_cloud_storage_tokens`,
  );
  return rows;
}

/** Activates (or replaces) the caller's connection for a provider: status active, failure state cleared. */
export async function upsertConnection(
  tx: Tx,
  row: { userId: string; provider: Provider; sealed: SealedTokens; meta: ConnectionMeta },
): Promise<ConnectionRow> {
  const { rows } = await tx.query<ConnectionRow>(
    `insert into user_cloud_storage_tokens
       (user_id, provider, status, tokens_ciphertext, key_version, token_expires_at, scopes,
        provider_user_id, provider_email, connected_at, last_refreshed_at, refresh_failure_count, next_refresh_at, last_error)
     values ($1, $2, 'active', $3, $4, $5, $6, $7, $8, now(), null, 0, null, null)
     on conflict (user_id, provider) do update set
       status = 'active', tokens_ciphertext = excluded.tokens_ciphertext, key_version = excluded.key_version,
       token_expires_at = excluded.token_expires_at, scopes = excluded.scopes,
       provider_user_id = excluded.provider_user_id, provider_email = excluded.provider_email,
       connected_at = now(), last_refreshed_at = null, refresh_failure_count = 0, next_refresh_at = null,
       last_error = null, updated_at = now()
     returning ${CONNECTION_COLUMNS}`,
    [
      row.userId,
      row.provider,
      row.sealed.ciphertext,
      row.sealed.keyVersion,
      row.meta.tokenExpiresAt,
      row.meta.scopes,
      row.meta.providerUserId,
      row.meta.providerEmail,
    ],
  );
  return rows[0]!;
}

export async function deleteConnection(tx: Tx, provider: Provider): Promise<boolean> {
  const { rowCount } = await tx.query('delete from user_cloud_storage_tokens where provider = $1', [
    provider,
  ]);
  return (rowCount ?? 0) > 0;
}
