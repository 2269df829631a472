import { recordAudit } from '#shared/audit';
import { proveAccessToken } from '#shared/auth/cognito-user';
import { withTenantWrite } from '#shared/db/idempotency';
import { withTenant } from '#shared/db/tenant';
import { HttpProblem, Unauthorized } from '#shared/errors';
import { recordEvent } from '#shared/events/outbox';
import { logger } from '#shared/logger';
import type { Provider } from '#shared/providers/types';
import { tokenVault } from '#shared/vault/token-vault';
import { deleteConnection, findConnection } from '../connection-store.ts';
import { connectionNotFound } from '../problems.ts';
import { revokeQuietly } from '../revocation.ts';

/** Disconnect: revoke at the provider where possible, then delete the tokens. 404 when not connected. */
export async function disconnect(
  userId: string,
  provider: Provider,
  accessToken: string | undefined,
): Promise<void> {
  // Irreversible: the caller's token is proven with Cognito first (a revoked or disabled user's → 401).
  if ((await proveAccessToken(accessToken)) !== 'live') throw new Unauthorized();
  const row = await withTenant(userId, (tx) => findConnection(tx, userId, provider));
  if (!row) throw connectionNotFound();
  try {
    const tokens = await tokenVault.open(row.sealed, { userId, provider });
    await revokeQuietly(provider, tokens);
  } catch (error) {
    if (error instanceof HttpProblem) throw error;
    logger.warn('Could not open tokens for revocation', { provider, error: (error as Error).name });
  }
  await withTenantWrite(userId, async (tx) => {
    if (!(await deleteConnection(tx, userId, provider))) throw connectionNotFound();
    await recordEvent(tx, {
      type: 'cloud_storage.disconnected',
      subject: { type: 'cloud_connection', id: row.id },
      data: { provider },
    });
    await recordAudit(tx, {
      action: 'cloud_storage.disconnected',
      resourceType: 'cloud_connection',
      resourceId: provider,
    });
  });
}
