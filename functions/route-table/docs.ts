import * as z from 'zod/mini';
import type { RouteDef } from '#shared/http/route';
import { describe } from '#shared/schema-meta';

export const docsRoutes = {
  'openapi/get': {
    method: 'GET',
    path: '/openapi.json',
    auth: 'public',
    summary: 'The OpenAPI 3.1 document of every route',
    tag: 'meta',
    capabilities: [],
    status: 200,
    response: describe(z.record(z.string(), z.unknown()), 'An OpenAPI 3.1 document'),
  },
} as const satisfies Record<string, RouteDef>;
