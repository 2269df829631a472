import { DeleteUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { revokeAllConnections } from '#shared/cloud-storage/revocation';
import { withTenant } from '#shared/db/tenant';
import { ServiceUnavailable, Unauthorized } from '#shared/errors';
import { logger } from '#shared/logger';
import { cognito } from './cognito.ts';
import { proveAccessToken } from './cognito-user.ts';

/**
 * Deletes the account. First the token is proven with Cognito (GetUser): a revoked (signed-out), disabled or
 * otherwise refused token is a 401 and nothing is touched; only UserNotFoundException means the Cognito user
 * is already gone (an earlier attempt was interrupted after deleting it), and then the rows still go. Then
 * provider tokens are revoked where the provider allows it, the Cognito user is deleted (so no new tokens
 * can be issued), and every row of the user goes through the ON DELETE CASCADE of `users`, audit log included.
 */
export async function deleteAccount(userId: string, accessToken: string | undefined): Promise<void> {
  const proof = await proveAccessToken(accessToken);
  if (proof === 'live') {
    await revokeAllConnections(userId);
    try {
      await cognito().send(new DeleteUserCommand({ AccessToken: accessToken }));
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (name === 'NotAuthorizedException') throw new Unauthorized('The access token is no longer valid.');
      // Deleted between the proof and here: carry on with the rows.
      if (name !== 'UserNotFoundException') {
        logger.error('Cognito user deletion failed', { errorName: name });
        throw new ServiceUnavailable('The identity service is unavailable.');
      }
    }
  }
  await withTenant(
    userId,
    async (tx) => {
      await tx.query('delete from users where id = $1', [userId]);
    },
    { allowUnprovisioned: true },
  );
}
