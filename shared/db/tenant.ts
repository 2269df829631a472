import type pg from 'pg';
import { dbSettings } from '#shared/config';
import { Unauthorized, UserNotProvisioned } from '#shared/errors';

import { mapDbError } from './errors.ts';
import { connect, type DbRole } from './pool.ts';

export interface TenantOptions {
  /** Skip the users-row check (only for creating that row). */
  allowUnprovisioned?: boolean;
}

/** The only handle repositories get: a client inside an open transaction. */
export type Tx = Pick<pg.PoolClient, 'query'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

async function inTransaction<T>(
  role: DbRole,
  setup: (client: pg.PoolClient) => Promise<unknown>,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await connect(role);
  } catch (error) {
    mapDbError(error);
  }
  let broken: Error | undefined;
  // A server that goes away while the client is checked out emits 'error' on it; without a listener that
  // would be an uncaught exception. Remember it and destroy the client instead of returning it to the pool.
  const onClientError = (error: Error) => {
    broken = error;
  };
  client.on('error', onClientError);
  try {
    await client.query('BEGIN');
    await setup(client);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      // The connection is unusable (server gone, timeout): destroy it instead of returning it to the pool.
      broken = rollbackError as Error;
    }
    return mapDbError(error);
  } finally {
    client.off('error', onClientError);
    client.release(broken ?? false);
  }
}

/**
 * Runs `fn` in a transaction scoped to one tenant. The tenant id is bound as a parameter into a
 * transaction-local setting (never a session-level SET, which would outlive the transaction on a pooled
 * connection), so row-level security sees exactly this user and the setting vanishes at COMMIT/ROLLBACK.
 * If the context cannot be set, the transaction aborts and nothing runs: it fails closed.
 */
export function withTenant<T>(
  userId: string,
  fn: (tx: Tx) => Promise<T>,
  options: TenantOptions = {},
): Promise<T> {
  if (!isUuid(userId)) return Promise.reject(new Unauthorized('The token subject is not a valid user id.'));
  const timeout = `${dbSettings().statementTimeoutMs}ms`;
  return inTransaction(
    'app',
    async (client) => {
      // One round trip: the tenant context, the statement timeout and whether the user's row exists.
      const { rows } = await client.query<{ provisioned: boolean }>(
        `select set_config('app.user_id', $1, true), set_config('statement_timeout', $2, true),
                exists (select 1 from users where id = $1::uuid) as provisioned`,
        [userId, timeout],
      );
      if (!rows[0]?.provisioned && !options.allowUnprovisioned) throw new UserNotProvisioned(userId);
    },
    fn,
  );
}

/**
 * A transaction as the refresher role (cross-tenant by design, limited by its grants to tokens and audit).
 * Used only by the scheduled token refresh.
 */
export function withRefresher<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  return inTransaction('refresher', async () => undefined, fn);
}

/** A transaction as the application role with no tenant context: RLS then shows no tenant rows at all. */
export function withoutTenant<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  return inTransaction('app', async () => undefined, fn);
}
