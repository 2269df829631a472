import { withTenant } from '#shared/db/tenant';
import { logger } from '#shared/logger';
import { revokeGrant } from '#shared/providers/account';
import type { ProviderError } from '#shared/providers/errors';
import type { Provider } from '#shared/providers/types';
import { type TokenSet, tokenVault } from '#shared/vault/token-vault';
import { listStoredConnections } from './connection-store.ts';

/** Best-effort revocation: a provider that is down must not block a disconnect or an account deletion. */
export async function revokeQuietly(provider: Provider, tokens: TokenSet): Promise<void> {
  try {
    await revokeGrant(provider, tokens);
  } catch (error) {
    logger.warn('Provider revocation failed', { provider, errorCode: (error as ProviderError).code });
  }
}

/** On account deletion every grant is revoked where the provider allows it (the rows go with the cascade). */
export async function revokeAllConnections(userId: string): Promise<void> {
  const rows = await withTenant(userId, (tx) => listStoredConnections(tx, userId));
  for (const row of rows) {
    try {
      const tokens = await tokenVault.open(row.sealed, { userId, provider: row.provider });
      await revokeQuietly(row.provider, tokens);
    } catch (error) {
      logger.warn('Could not revoke on account deletion', {
        provider: row.provider,
        error: (error as Error).name,
      });
    }
  }
}
