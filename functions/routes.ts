/**
 * The route table: the single source of truth for every HTTP endpoint. The CDK stack (one Lambda and one
 * API route per entry), the local gateway, the OpenAPI document and the cross-tenant test matrix are all
 * generated from it. The key is the entry file under functions/ (without `.ts`) whose `handler` serves the
 * route. Entries are grouped by area in functions/route-table/ and merged here; no route is listed elsewhere.
 */

import type { RouteDef } from '#shared/http/route';
import { auditRoutes } from './route-table/audit.ts';
import { authRoutes } from './route-table/auth.ts';
import { brandRoutes } from './route-table/brand.ts';
import { cloudFileRoutes } from './route-table/cloud-files.ts';
import { cloudStorageRoutes } from './route-table/cloud-storage.ts';
import { collectionRoutes } from './route-table/collections.ts';
import { docsRoutes } from './route-table/docs.ts';
import { documentRoutes } from './route-table/documents.ts';
import { eventRoutes } from './route-table/events.ts';
import { metaRoutes } from './route-table/meta.ts';

export const routes = {
  ...metaRoutes,
  ...authRoutes,
  ...cloudStorageRoutes,
  ...cloudFileRoutes,
  ...docsRoutes,
  ...brandRoutes,
  ...documentRoutes,
  ...collectionRoutes,
  ...auditRoutes,
  ...eventRoutes,
} as const satisfies Record<string, RouteDef>;

export type RouteKey = keyof typeof routes;

export const routeEntries = (): Array<[RouteKey, RouteDef]> =>
  Object.entries(routes) as Array<[RouteKey, RouteDef]>;
