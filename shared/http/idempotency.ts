import { createHash } from 'node:crypto';
import { runWithIdempotencyKey } from '#shared/db/idempotency';
import { BadRequest } from '#shared/errors';
import { acceptsIdempotencyKey, type RouteDef } from './route.ts';

/** Visible ASCII, 1–255 characters (a UUID is the usual choice). */
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Composes idempotency keys around a mutating route's handler: a request with `Idempotency-Key` runs in a key
 * scope that its write transaction honours (shared/db/idempotency.ts). The request's identity is its method,
 * route, parameters and parsed body, so the same key with another request is told apart (422).
 */
export function withIdempotencyKey<
  I extends {
    userId: string | undefined;
    idempotencyKey: string | undefined;
    params?: unknown;
    query?: unknown;
    body?: unknown;
  },
  T,
>(route: RouteDef, fn: (input: I) => Promise<T>): (input: I) => Promise<T> {
  if (!acceptsIdempotencyKey(route)) return fn;
  return async (input) => {
    const key = input.idempotencyKey;
    if (key === undefined || !input.userId) return fn(input);
    if (!KEY.test(key)) {
      throw new BadRequest('The Idempotency-Key header must be 1 to 255 visible ASCII characters.', [
        { path: 'Idempotency-Key', message: 'Invalid idempotency key' },
      ]);
    }
    const requestHash = createHash('sha256')
      .update(
        JSON.stringify([
          route.method,
          route.path,
          input.params ?? null,
          input.query ?? null,
          input.body ?? null,
        ]),
      )
      .digest();
    return runWithIdempotencyKey({ userId: input.userId, key, requestHash, replayed: false }, () =>
      fn(input),
    );
  };
}
