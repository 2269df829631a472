import { withTenant } from '#shared/db/tenant';
import { type ConnectionRow, listConnectionRows } from './connection-store.ts';
import type { CloudConnection } from './schemas.ts';

/** A stored connection as the API shows it: never a token. */
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

/** The caller's connections, never tokens. */
export async function getConnections(userId: string): Promise<{ connections: CloudConnection[] }> {
  const rows = await withTenant(userId, (tx) => listConnectionRows(tx, userId));
  return { connections: rows.map(toCloudConnection) };
}
