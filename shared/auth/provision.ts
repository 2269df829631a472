import { recordAudit } from '#shared/audit';
import { mapDbError } from '#shared/db/errors';
import { withTenant } from '#shared/db/tenant';
import { UserNotProvisioned } from '#shared/errors';
import { getCognitoProfile } from './cognito-user.ts';

/** Creates the user's row if missing (idempotent); called at registration. */
export async function createUserRow(
  userId: string,
  profile: { email: string; name: string; organizationName?: string | null },
): Promise<void> {
  await withTenant(
    userId,
    async (tx) => {
      try {
        const { rowCount } = await tx.query(
          `insert into users (id, email, name, organization_name) values ($1, $2, $3, $4) on conflict (id) do nothing`,
          [userId, profile.email, profile.name, profile.organizationName ?? null],
        );
        if (rowCount)
          await recordAudit(tx, { action: 'user.created', resourceType: 'user', resourceId: userId });
      } catch (error) {
        mapDbError(error);
      }
    },
    { allowUnprovisioned: true },
  );
}

/**
 * First authenticated use by a user whose row does not exist (created directly in Cognito, or deleted):
 * read the profile from Cognito with the caller's own token and create the row. A deleted user's token is
 * refused by Cognito, which makes this a 401.
 */
export async function provisionUser(userId: string, accessToken: string): Promise<void> {
  const profile = await getCognitoProfile(accessToken);
  await createUserRow(userId, profile);
}

/**
 * Composes first-use provisioning around a handler: when the caller's row is missing (`UserNotProvisioned`,
 * thrown by `withTenant`), the row is provisioned from Cognito with the caller's own token (401 for a deleted
 * user) and the handler runs once more; the failed attempt was rolled back. Without a token (a public step)
 * there is nobody to provision, and `UserNotProvisioned` stays what it is: a 401.
 */
export function provisionOnFirstUse<I extends { accessToken: string | undefined }, T>(
  fn: (input: I) => Promise<T>,
): (input: I) => Promise<T> {
  return async (input) => {
    try {
      return await fn(input);
    } catch (error) {
      if (!(error instanceof UserNotProvisioned) || !input.accessToken) throw error;
      await provisionUser(error.userId, input.accessToken);
      return fn(input);
    }
  };
}
