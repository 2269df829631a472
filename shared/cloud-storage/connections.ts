import { type Tx, withTenant } from '#shared/db/tenant';
import type { CloudConnection } from './schemas.ts';

export interface ConnectionRow {
  provider: CloudConnection['provider'];
  status: CloudConnection['status'];
  provider_user_id: string;
  provider_email: string | null;
  scopes: string[];
  connected_at: string;
  token_expires_at: string | null;
  last_refreshed_at: string | null;
  last_error: string | null;
}

export const CONNECTION_COLUMNS =
  'provider, status, provider_user_id, provider_email, scopes, connected_at, token_expires_at, last_refreshed_at, last_error';

export function toCloudConnection(row: ConnectionRow): CloudConnection {
  return {
    provider: row.provider,
    status: row.status,
    accountId: row.provider_user_id,
    accountEmail: row.provider_email,
    scopes: row.scopes,
    connectedAt: row.connected_at,
    accessTokenExpiresAt: row.token_expires_at,
    lastRefreshedAt: row.last_refreshed_at,
    lastError: row.last_error,
  };
}

/** ISO 8601 UTC with milliseconds, as the API (and the pg type parser) writes timestamps. */
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The tenant's connections (never the ciphertext) as one JSON array of ConnectionRow, in provider order: a
 * scalar subquery, so `/auth/me` can read them in the same statement as the profile.
 */
export const CONNECTIONS_JSON = `coalesce((select json_agg(json_build_object(
    'provider', t.provider, 'status', t.status, 'provider_user_id', t.provider_user_id,
    'provider_email', t.provider_email, 'scopes', t.scopes, 'connected_at', ${iso('t.connected_at')},
    'token_expires_at', ${iso('t.token_expires_at')}, 'last_refreshed_at', ${iso('t.last_refreshed_at')},
    'last_error', t.last_error) order by t.provider)
  from user_cloud_storage_tokens t), '[]'::json)`;

/** The caller's connections, never tokens. */
export async function listConnections(tx: Tx): Promise<CloudConnection[]> {
  const { rows } = await tx.query<{ connections: ConnectionRow[] }>(
    `select ${CONNECTIONS_JSON} as connections`,
  );
  return rows[0]!.connections.map(toCloudConnection);
}

export async function getConnections(userId: string): Promise<{ connections: CloudConnection[] }> {
  return { connections: await withTenant(userId, (tx) => listConnections(tx)) };
}
