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

/** The caller's connections (never the ciphertext), in a stable provider order. */
export async function listConnections(tx: Tx): Promise<CloudConnection[]> {
  const { rows } = await tx.query<ConnectionRow>(
    `select ${CONNECTION_COLUMNS} from user_cloud_storage_tokens order by provider`,
  );
  return rows.map(toCloudConnection);
}

export async function getConnections(userId: string): Promise<{ connections: CloudConnection[] }> {
  return { connections: await withTenant(userId, (tx) => listConnections(tx)) };
}
