import { provisionOnFirstUse } from '#shared/auth/provision';
import { httpHandler, type RouteHandler } from '#shared/http/handler';
import { withIdempotencyKey } from '#shared/http/idempotency';
import type { Capability, RouteDef } from '#shared/http/route';
import { assertSigningKeyConfigured } from '#shared/signing/key';
import { assertVaultConfigured } from '#shared/vault/keys';

/**
 * What a capability needs to be configured, checked when the function's module loads: a function deployed
 * without it fails at init (and its deployment's first invocation), not on a user's request. Kept to checks that
 * only read configuration, so a function's bundle gains nothing it would not load anyway.
 */
const INIT_CHECKS: Partial<Record<Capability, () => void>> = {
  vault: assertVaultConfigured,
  'signing-key': assertSigningKeyConfigured,
};

/**
 * How every HTTP function is put together (functions/ is the composition root): its capabilities' init checks,
 * then the route's middy stack from shared/http around the handler, and on JWT routes first-use provisioning
 * from shared/auth, so a user created directly in Cognito gets their row on their first request; mutating JWT
 * routes honour `Idempotency-Key`.
 */
export function defineHandler<R extends RouteDef>(route: R, fn: RouteHandler<R>) {
  for (const capability of route.capabilities) INIT_CHECKS[capability]?.();
  return httpHandler(route, withIdempotencyKey(route, route.auth === 'jwt' ? provisionOnFirstUse(fn) : fn));
}
