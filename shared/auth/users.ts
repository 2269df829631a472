import { type ConnectionRow, connectionsJson } from '#shared/cloud-storage/connection-store';
import { toCloudConnection } from '#shared/cloud-storage/connections';
import { withTenant } from '#shared/db/tenant';
import { NotFound } from '#shared/errors';

interface UserRow {
  id: string;
  email: string;
  name: string;
  organization_name: string | null;
  created_at: string;
}

/** Profile and connections summary in one statement (one round trip inside the tenant transaction). */
export async function getMe(userId: string) {
  return withTenant(userId, async (tx) => {
    const { rows } = await tx.query<UserRow & { connections: ConnectionRow[] }>(
      `select u.id, u.email, u.name, u.organization_name, u.created_at, ${connectionsJson('u.id')} as connections
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
