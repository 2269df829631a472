import { AsyncLocalStorage } from 'node:async_hooks';
import { HttpProblem } from '#shared/errors';
import { type Tx, withTenant } from './tenant.ts';

/**
 * Idempotency keys (README, "Idempotency-Key"). A mutating request that carries a key runs inside a scope
 * (set by the HTTP layer); its write transaction, `withTenantWrite`, then:
 * - first looks the key up: the same key with the same request returns the stored result without running the
 *   write again; the same key with another request is a 422;
 * - otherwise runs the write and stores the key with the transaction's result in the same transaction, so the
 *   key exists exactly when the write committed (a COMMIT whose answer was lost leaves both or neither);
 * - a concurrent request with the same key waits on the key's unique index, finds it committed, rolls its
 *   own write back and returns the stored result: one write, whatever the concurrency.
 * Keys are per user (row-level security and the primary key both say so) and kept 24 hours.
 */

export interface IdempotencyScope {
  userId: string;
  key: string;
  /** SHA-256 of the request (method, route, parameters, body). */
  requestHash: Buffer;
  /** Set when the result came from the store. */
  replayed: boolean;
}

const scope = new AsyncLocalStorage<IdempotencyScope>();

export function runWithIdempotencyKey<T>(request: IdempotencyScope, fn: () => Promise<T>): Promise<T> {
  return scope.run(request, fn);
}

export class IdempotencyKeyReused extends HttpProblem {
  constructor() {
    super(422, 'idempotency-key-reused', 'Idempotency key reused', {
      detail: 'This Idempotency-Key was used for a different request in the last 24 hours.',
      errors: [{ path: 'Idempotency-Key', message: 'Used for a different request' }],
    });
  }
}

/** Carries a stored result out of the transaction, which rolls back. */
class Replay {
  constructor(readonly result: unknown) {}
}

interface StoredKey {
  request_hash: Buffer;
  response: { v: unknown };
}

async function storedKey(tx: Tx, request: IdempotencyScope): Promise<StoredKey | undefined> {
  const { rows } = await tx.query<StoredKey>(
    `select request_hash, response from idempotency_keys
      where user_id = $1 and idem_key = $2 and expires_at > now()`,
    [request.userId, request.key],
  );
  return rows[0];
}

function replayOf(stored: StoredKey, request: IdempotencyScope): Replay {
  if (!stored.request_hash.equals(request.requestHash)) throw new IdempotencyKeyReused();
  return new Replay(stored.response.v);
}

/**
 * `withTenant` for the one transaction of a mutation that makes its change. Its result is what the request
 * returns (the service may still shape it, the same way on a replay); it is stored with the key.
 */
export async function withTenantWrite<T>(userId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const request = scope.getStore();
  if (!request || request.userId !== userId) return withTenant(userId, fn);
  try {
    return await withTenant(userId, async (tx) => {
      await tx.query('delete from idempotency_keys where user_id = $1 and expires_at <= now()', [userId]);
      const earlier = await storedKey(tx, request);
      if (earlier) throw replayOf(earlier, request);
      const result = await fn(tx);
      const { rowCount } = await tx.query(
        `insert into idempotency_keys (user_id, idem_key, request_hash, response) values ($1, $2, $3, $4)
         on conflict (user_id, idem_key) do nothing`,
        [userId, request.key, request.requestHash, JSON.stringify({ v: result ?? null })],
      );
      if (!rowCount) {
        // A concurrent request with this key committed first (the insert waited for it): ours rolls back.
        const winner = await storedKey(tx, request);
        if (winner) throw replayOf(winner, request);
        throw new Error('Idempotency key conflict without a stored key');
      }
      return result;
    });
  } catch (error) {
    if (!(error instanceof Replay)) throw error;
    request.replayed = true;
    return error.result as T;
  }
}
