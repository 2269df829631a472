import { defineCollection } from '#shared/db/collection';
import { UnprocessableReference } from '#shared/errors';
import type { PublishedPost, PublishedPostCreate } from './schemas.ts';

export const publishedPostsTable = defineCollection<keyof PublishedPostCreate, PublishedPost>({
  table: 'published_posts',
  resourceType: 'published_post',
  mutable: true,
  columns: {
    contentId: { column: 'content_id', type: 'uuid' },
    calendarEntryId: { column: 'calendar_entry_id', type: 'uuid' },
    channel: { column: 'channel', type: 'text' },
    url: { column: 'url', type: 'text' },
    publishedAt: { column: 'published_at', type: 'timestamptz' },
    metrics: { column: 'metrics', type: 'jsonb' },
  },
  references: { contentId: 'content_library', calendarEntryId: 'content_calendar' },
  constraints: {
    published_posts_content_fk: () =>
      new UnprocessableReference([{ path: 'contentId', message: 'Unknown reference' }]),
    published_posts_calendar_entry_fk: () =>
      new UnprocessableReference([{ path: 'calendarEntryId', message: 'Unknown reference' }]),
  },
});
