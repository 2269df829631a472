import type { Page, PageRequest } from '#shared/db/pagination';
import { collectionService } from '../collection-service.ts';
import { publishedPostsTable } from './repository.ts';
import type { PublishedPost, PublishedPostCreate, PublishedPostPatch } from './schemas.ts';

const posts = collectionService(publishedPostsTable, 'Published post');

export const listPublishedPosts = (userId: string, query: PageRequest): Promise<Page<PublishedPost>> =>
  posts.list(userId, query);
export const createPublishedPost = (userId: string, input: PublishedPostCreate): Promise<PublishedPost> =>
  posts.create(userId, input);
export const getPublishedPost = (userId: string, id: string): Promise<PublishedPost> => posts.get(userId, id);
export const updatePublishedPost = (
  userId: string,
  id: string,
  patch: PublishedPostPatch,
): Promise<PublishedPost> => posts.update(userId, id, patch);
export const deletePublishedPost = (userId: string, id: string): Promise<void> => posts.remove(userId, id);
