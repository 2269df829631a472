import { recordAudit } from '#shared/audit';
import { withTenantWrite } from '#shared/db/idempotency';
import { withoutTenant } from '#shared/db/tenant';
import { NotFound } from '#shared/errors';
import { recordEvent } from '#shared/events/outbox';
import { logger } from '#shared/logger';
import type { Provider } from '#shared/providers/types';
import { tokenVault } from '#shared/vault/token-vault';
import { claimPendingConnection, findConnection, upsertConnection } from '../connection-store.ts';
import { toCloudConnection } from '../connections.ts';
import { accountMismatch } from '../problems.ts';
import { revokeQuietly } from '../revocation.ts';
import type { CloudConnection } from '../schemas.ts';
import { sha256 } from './one-time.ts';

/**
 * Activates a pending connection, only for the user who started the flow (RFC 9700 §4.7: a victim lured into
 * completing an attacker's authorization URL cannot link their drive into the attacker's account). A ticket of
 * another user, of another provider, expired or already used → 404, and the pending tokens are discarded and
 * revoked where the provider allows it.
 */
export async function confirmConnection(
  userId: string,
  provider: Provider,
  ticket: string,
): Promise<CloudConnection> {
  const pending = await withoutTenant(async (tx) => claimPendingConnection(tx, await sha256(ticket)));
  if (!pending) throw new NotFound('Pending connection');
  const valid =
    pending.user_id === userId &&
    pending.provider === provider &&
    Date.parse(pending.expires_at) > Date.now();
  if (!valid) {
    try {
      const tokens = await tokenVault.open(pending.sealed, {
        userId: pending.user_id,
        provider: pending.provider,
      });
      await revokeQuietly(pending.provider, tokens);
    } catch (error) {
      logger.warn('Could not revoke discarded pending connection', {
        provider: pending.provider,
        error: (error as Error).name,
      });
    }
    throw new NotFound('Pending connection');
  }
  let sealed = pending.sealed;
  return withTenantWrite(userId, async (tx) => {
    const previous = await findConnection(tx, userId, provider, { forUpdate: true });
    const fresh = await tokenVault.open(sealed, { userId, provider });
    if (previous) {
      // Re-consent without a refresh token (Google omits it unless prompt=consent) keeps the previous one, but
      // only for the same provider account: another account's grant must never ride on the old token.
      if (!fresh.refreshToken) {
        if (previous.provider_user_id !== pending.provider_user_id) {
          await revokeQuietly(provider, fresh);
          throw accountMismatch(provider);
        }
        const old = await tokenVault.open(previous.sealed, { userId, provider });
        if (old.refreshToken)
          sealed = await tokenVault.seal({ ...fresh, refreshToken: old.refreshToken }, { userId, provider });
      }
    }
    const row = await upsertConnection(tx, {
      userId,
      provider,
      sealed,
      meta: {
        scopes: pending.scopes,
        providerUserId: pending.provider_user_id,
        providerEmail: pending.provider_email,
        tokenExpiresAt: pending.token_expires_at,
      },
      newRefreshToken: Boolean(fresh.refreshToken),
    });
    // Same transaction as the state change. A reconnect keeps the row (and its id): `reconnected`, with the
    // state it left; a first connection: `connected`.
    await recordEvent(tx, {
      type: previous ? 'cloud_storage.reconnected' : 'cloud_storage.connected',
      subject: { type: 'cloud_connection', id: row.id },
      data: {
        provider,
        accountId: pending.provider_user_id,
        ...(previous ? { previousStatus: previous.status, previousReason: previous.health_reason } : {}),
      },
    });
    await recordAudit(tx, {
      action: 'cloud_storage.connected',
      resourceType: 'cloud_connection',
      resourceId: provider,
      metadata: {
        accountId: pending.provider_user_id,
        scopes: pending.scopes,
        reconnected: Boolean(previous),
      },
    });
    return toCloudConnection(row);
  });
}
