import type { RouteDef } from '#shared/http/route';
import { healthResponse } from '#shared/http/schemas';

export const metaRoutes = {
  'health/get': {
    method: 'GET',
    path: '/health',
    auth: 'public',
    summary: 'Liveness and database check',
    tag: 'meta',
    capabilities: ['db'],
    status: 200,
    response: healthResponse,
  },
} as const satisfies Record<string, RouteDef>;
