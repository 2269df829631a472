import { withTenant } from '#shared/db/tenant';
import { type ConnectionRow, listConnectionRows } from './connection-store.ts';
import { computeWarnings } from './health.ts';
import type { CloudConnection } from './schemas.ts';

/** A stored connection as the API shows it: never a token. */
export function toCloudConnection(row: ConnectionRow): CloudConnection {
  return {
    id: row.id,
    provider: row.provider,
    status: row.status,
    accountId: row.provider_user_id,
    accountEmail: row.provider_email,
    scopes: row.scopes,
    connectedAt: row.connected_at,
    accessTokenExpiresAt: row.token_expires_at,
    lastRefreshedAt: row.last_refreshed_at,
    lastError: row.last_error,
    health: {
      reason: (row.health_reason as CloudConnection['health']['reason']) ?? null,
      since: row.health_since ?? row.connected_at,
      lastSuccessAt: row.last_success_at,
      lastFailureAt: row.last_failure_at,
      consecutiveFailures: row.refresh_failure_count,
      nextAttemptAt: row.status === 'active' ? row.next_refresh_at : null,
      warnings: computeWarnings(row),
    },
  };
}

/** The caller's connections, never tokens. */
export async function getConnections(userId: string): Promise<{ connections: CloudConnection[] }> {
  const rows = await withTenant(userId, (tx) => listConnectionRows(tx, userId));
  return { connections: rows.map(toCloudConnection) };
}
