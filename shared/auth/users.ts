import { DeleteUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { listConnections } from '#shared/cloud-storage/connections';
import { revokeAllConnections } from '#shared/cloud-storage/revocation';
import { withTenant } from '#shared/db/tenant';
import { NotFound, ServiceUnavailable } from '#shared/errors';
import { logger } from '#shared/logger';
import { cognito } from './cognito.ts';

interface UserRow {
  id: string;
  email: string;
  name: string;
  organization_name: string | null;
  created_at: string;
}

export async function getMe(userId: string) {
  return withTenant(userId, async (tx) => {
    const { rows } = await tx.query<UserRow>(
      'select id, email, name, organization_name, created_at from users where id = $1',
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
      connections: await listConnections(tx),
    };
  });
}

/**
 * Deletes the account: provider tokens are revoked where the provider allows it, the Cognito user is deleted
 * (so no new tokens can be issued), then every row of the user goes through the ON DELETE CASCADE of `users`,
 * audit log included. A retry after a partial failure finishes the job.
 */
export async function deleteMe(userId: string, accessToken: string): Promise<void> {
  await revokeAllConnections(userId);
  try {
    await cognito().send(new DeleteUserCommand({ AccessToken: accessToken }));
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    // Already deleted by an earlier, interrupted attempt: carry on with the rows.
    if (!/UserNotFound|NotAuthorized/.test(name)) {
      logger.error('Cognito user deletion failed', { errorName: name });
      throw new ServiceUnavailable('The identity service is unavailable.');
    }
  }
  await withTenant(userId, async (tx) => {
    await tx.query('delete from users where id = $1', [userId]);
  });
}
