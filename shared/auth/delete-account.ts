import { DeleteUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { revokeAllConnections } from '#shared/cloud-storage/revocation';
import { isLambda, optionalEnv } from '#shared/config';
import { withTenant } from '#shared/db/tenant';
import { ServiceUnavailable, Unauthorized } from '#shared/errors';
import { logger } from '#shared/logger';
import { cognito } from './cognito.ts';
import { proveAccessToken } from './cognito-user.ts';

/**
 * The user's originals in the document store; a retry repeats it. Loaded on use, so the S3 SDK costs nothing on
 * the way to the database. In Lambda the bucket is always configured (fail closed).
 */
async function deleteDocuments(userId: string): Promise<void> {
  if (!isLambda() && !optionalEnv('DOCUMENTS_BUCKET')) return;
  const { deleteUserObjects } = await import('#shared/documents/store');
  try {
    await deleteUserObjects(userId);
  } catch (error) {
    logger.error('Document store deletion failed', { errorName: (error as Error).name });
    throw new ServiceUnavailable('The document store is unavailable.');
  }
}

/**
 * Deletes the account. First the token is proven with Cognito (GetUser): a revoked (signed-out), disabled or
 * otherwise refused token is a 401 and nothing is touched; only UserNotFoundException means the Cognito user
 * is already gone (an earlier attempt was interrupted after deleting it), and then the rows still go. Then
 * provider tokens are revoked where the provider allows it, the Cognito user is deleted (so no new tokens
 * can be issued), the user's originals are deleted from the document store, and every row of the user goes
 * through the ON DELETE CASCADE of `users`, audit log included.
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
  await deleteDocuments(userId);
  await withTenant(
    userId,
    async (tx) => {
      await tx.query('delete from users where id = $1', [userId]);
    },
    { allowUnprovisioned: true },
  );
}
