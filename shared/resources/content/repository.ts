import { defineCollection } from '#shared/db/collection';
import type { ContentCreate, ContentItem } from './schemas.ts';

export const contentTable = defineCollection<keyof ContentCreate, ContentItem>({
  table: 'content_library',
  resourceType: 'content',
  mutable: true,
  largeColumns: ['body'],
  columns: {
    title: { column: 'title', type: 'text' },
    body: { column: 'body', type: 'text' },
    contentType: { column: 'content_type', type: 'text' },
    status: { column: 'status', type: 'text' },
    tags: { column: 'tags', type: 'text[]' },
  },
});
