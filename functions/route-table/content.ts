import type { RouteDef } from '#shared/http/route';
import {
  contentCreate,
  contentItem,
  contentListQuery,
  contentPatch,
} from '#shared/resources/content/schemas';
import { collection } from './collection.ts';

/** /content: list, create, get, patch, delete (./collection.ts). */
export const contentRoutes = collection('content', {
  path: '/content',
  tag: 'content',
  plural: 'content',
  one: 'a content item',
  resource: 'content',
  item: contentItem,
  create: contentCreate,
  patch: contentPatch,
  listQuery: contentListQuery,
}) satisfies Record<string, RouteDef>;
