import { type ConnectionRow, toCloudConnection } from '#shared/cloud-storage/connections';
import { withTenant } from '#shared/db/tenant';
import { NotFound } from '#shared/errors';

interface UserRow {
  id: string;
  email: string;
  name: string;
  organization_name: string | null;
  created_at: string;
}

/** ISO 8601 UTC with milliseconds, as the API (and the pg type parser) writes timestamps. */
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Profile and connections summary in one statement (one round trip inside the tenant transaction). */
export async function getMe(userId: string) {
  return withTenant(userId, async (tx) => {
    const { rows } = await tx.query<UserRow & { connections: ConnectionRow[] }>(
      `select u.id, u.email, u.name, u.organization_name, u.created_at,
              coalesce((select json_agg(json_build_object(
                         'provider', t.provider, 'status', t.status, 'provider_user_id', t.provider_user_id,
                         'provider_email', t.provider_email, 'scopes', t.scopes,
                         'connected_at', ${iso('t.connected_at')}, 'token_expires_at', ${iso('t.token_expires_at')},
                         'last_refreshed_at', ${iso('t.last_refreshed_at')}, 'last_error', t.last_error)
                         order by t.provider)
                          from user_cloud_storage_tokens t), '[]'::json) as connections
         from users u where u.id = $1`,
      [userId],
    );
    const user = rows[0];
    if (!user) throw new NotFound('User');
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      organizationName: user.organization_name,
      createdAt: user.created_at,
      connections: user.connections.map(toCloudConnection),
    };
  });
}
