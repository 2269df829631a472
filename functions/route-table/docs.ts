import * as z from 'zod';
import type { RouteDef } from '#shared/http/route';

export const docsRoutes = {
  'openapi/get': {
    method: 'GET',
    path: '/openapi.json',
    auth: 'public',
    summary: 'The OpenAPI 3.1 document of every route',
    tag: 'meta',
    capabilities: [],
    status: 200,
    response: z.record(z.string(), z.unknown()).describe('An OpenAPI 3.1 document'),
  },
} as const satisfies Record<string, RouteDef>;
