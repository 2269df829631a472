import type { RouteDef } from '#shared/http/route';
import {
  competitor,
  competitorCreate,
  competitorListQuery,
  competitorPatch,
} from '#shared/resources/competitors/schemas';
import { collection } from './collection.ts';

/** /competitors: list, create, get, patch, delete (./collection.ts). */
export const competitorRoutes = collection('competitors', {
  path: '/competitors',
  tag: 'competitors',
  plural: 'competitors',
  one: 'a competitor',
  resource: 'competitor',
  item: competitor,
  create: competitorCreate,
  patch: competitorPatch,
  listQuery: competitorListQuery,
}) satisfies Record<string, RouteDef>;
