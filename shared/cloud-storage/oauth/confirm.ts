import { withTenantWrite } from '#shared/db/idempotency';
import { type Tx, withoutTenant } from '#shared/db/tenant';
import { NotFound } from '#shared/errors';
import { logger } from '#shared/logger';
import type { Provider } from '#shared/providers/types';
import { tokenVault } from '#shared/vault/token-vault';
import {
  claimPendingConnection,
  findConnection,
  type PendingConnection,
  upsertConnection,
} from '../connection-store.ts';
import { toCloudConnection } from '../connections.ts';
import { accountMismatch } from '../problems.ts';
import { revokeQuietly } from '../revocation.ts';
import type { CloudConnection } from '../schemas.ts';
import { sha256 } from './one-time.ts';

/** A ticket that exists but is not this user's, this provider's, or still valid (rolled back, then discarded). */
class InvalidTicket extends Error {}

/**
 * Activates a pending connection, only for the user who started the flow (RFC 9700 §4.7: a victim lured into
 * completing an attacker's authorization URL cannot link their drive into the attacker's account). A ticket of
 * another user, of another provider, expired or already used → 404, and the pending tokens are discarded and
 * revoked where the provider allows it.
 *
 * One tenant transaction on the way that succeeds (six round trips): the ticket is claimed inside it (the
 * SECURITY DEFINER claim deletes the pending row, so a second confirm waits for this one and then finds
 * nothing), the connection row locked, and the connection, its event and its audit row written by one statement.
 * When anything in it fails, the transaction rolls back and the ticket is then consumed on its own, so a ticket
 * is used at most once whatever happened.
 */
export async function confirmConnection(
  userId: string,
  provider: Provider,
  ticket: string,
): Promise<CloudConnection> {
  const ticketHash = await sha256(ticket);
  try {
    return await withTenantWrite(userId, async (tx) => {
      const pending = await claimPendingConnection(tx, ticketHash);
      if (!pending) throw new NotFound('Pending connection');
      const valid =
        pending.user_id === userId &&
        pending.provider === provider &&
        Date.parse(pending.expires_at) > Date.now();
      if (!valid) throw new InvalidTicket();
      return activate(tx, userId, provider, pending);
    });
  } catch (error) {
    if (error instanceof NotFound) throw error;
    // Rolled back: the ticket is still pending. Consume it now (single use), and discard its tokens when it was
    // not this user's to confirm.
    const discarded = await withoutTenant((tx) => claimPendingConnection(tx, ticketHash)).catch(
      () => undefined,
    );
    if (!(error instanceof InvalidTicket)) throw error;
    if (discarded) await discard(discarded);
    throw new NotFound('Pending connection');
  }
}

async function discard(pending: PendingConnection): Promise<void> {
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
}

async function activate(
  tx: Tx,
  userId: string,
  provider: Provider,
  pending: PendingConnection,
): Promise<CloudConnection> {
  let sealed = pending.sealed;
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
  // The event and the audit row in the same statement as the state change. A reconnect keeps the row (and its
  // id): `reconnected`, with the state it left; a first connection: `connected`.
  const row = await upsertConnection(
    tx,
    {
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
    },
    {
      event: {
        type: previous ? 'cloud_storage.reconnected' : 'cloud_storage.connected',
        data: {
          provider,
          accountId: pending.provider_user_id,
          ...(previous ? { previousStatus: previous.status, previousReason: previous.health_reason } : {}),
        },
      },
      audit: {
        action: 'cloud_storage.connected',
        resourceType: 'cloud_connection',
        resourceId: provider,
        metadata: {
          accountId: pending.provider_user_id,
          scopes: pending.scopes,
          reconnected: Boolean(previous),
        },
      },
    },
  );
  return toCloudConnection(row);
}
