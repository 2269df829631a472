import { provisionOnFirstUse } from '#shared/auth/provision';
import { httpHandler, type RouteHandler } from '#shared/http/handler';
import type { RouteDef } from '#shared/http/route';

/**
 * How every HTTP function is put together (functions/ is the composition root): the route's middy stack from
 * shared/http around the handler, and on JWT routes first-use provisioning from shared/auth, so a user created
 * directly in Cognito gets their row on their first request.
 */
export function defineHandler<R extends RouteDef>(route: R, fn: RouteHandler<R>) {
  return httpHandler(route, route.auth === 'jwt' ? provisionOnFirstUse(fn) : fn);
}
