import type { RouteDef } from '#shared/http/route';
import {
  publishedPost,
  publishedPostCreate,
  publishedPostListQuery,
  publishedPostPatch,
} from '#shared/resources/published-posts/schemas';
import { collection } from './collection.ts';

/** /published-posts: list, create, get, patch, delete (./collection.ts). */
export const publishedPostRoutes = collection('published-posts', {
  path: '/published-posts',
  tag: 'content',
  plural: 'published posts',
  one: 'a published post',
  resource: 'published_post',
  item: publishedPost,
  create: publishedPostCreate,
  patch: publishedPostPatch,
  listQuery: publishedPostListQuery,
}) satisfies Record<string, RouteDef>;
