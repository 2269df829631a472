import type { Condition } from '#shared/db/collection';
import type { Page } from '#shared/db/pagination';
import { collectionService } from '../collection-service.ts';
import { contentTable } from './repository.ts';
import type { ContentCreate, ContentItem, ContentListQuery, ContentPatch } from './schemas.ts';

const content = collectionService(contentTable, 'Content');

export function listContent(userId: string, query: ContentListQuery): Promise<Page<ContentItem>> {
  const where: Condition[] = [];
  if (query.status) where.push({ column: 'status', type: 'text', op: '=', value: query.status });
  if (query.contentType)
    where.push({ column: 'content_type', type: 'text', op: '=', value: query.contentType });
  return content.list(userId, query, where);
}

export const createContent = (userId: string, input: ContentCreate): Promise<ContentItem> =>
  content.create(userId, input);
export const getContent = (userId: string, id: string): Promise<ContentItem> => content.get(userId, id);
export const updateContent = (userId: string, id: string, patch: ContentPatch): Promise<ContentItem> =>
  content.update(userId, id, patch);
/** Deleting content also deletes its calendar entries and clears it from published posts (foreign keys). */
export const deleteContent = (userId: string, id: string): Promise<void> => content.remove(userId, id);
