import { DeleteUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { revokeAllConnections } from '#shared/cloud-storage/revocation';
import { withTenant } from '#shared/db/tenant';
import { ServiceUnavailable } from '#shared/errors';
import { logger } from '#shared/logger';
import { cognito } from './cognito.ts';

/**
 * Deletes the account: provider tokens are revoked where the provider allows it, the Cognito user is deleted
 * (so no new tokens can be issued), then every row of the user goes through the ON DELETE CASCADE of `users`,
 * audit log included. A retry after a partial failure finishes the job.
 */
export async function deleteAccount(userId: string, accessToken: string): Promise<void> {
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
