import type { RouteDef } from '#shared/http/route';
import {
  brandVoiceAsset,
  brandVoiceAssetCreate,
  brandVoiceAssetListQuery,
  brandVoiceAssetPatch,
  MAX_BRAND_VOICE_BODY_BYTES,
} from '#shared/resources/brand-voice-assets/schemas';
import {
  competitor,
  competitorCreate,
  competitorListQuery,
  competitorPatch,
} from '#shared/resources/competitors/schemas';
import {
  contentCreate,
  contentItem,
  contentListQuery,
  contentPatch,
} from '#shared/resources/content/schemas';
import {
  calendarEntry,
  calendarEntryCreate,
  calendarEntryPatch,
  calendarListQuery,
} from '#shared/resources/content-calendar/schemas';
import {
  publishedPost,
  publishedPostCreate,
  publishedPostListQuery,
  publishedPostPatch,
} from '#shared/resources/published-posts/schemas';

import { collection } from './collection.ts';

const brandVoiceRoutes = collection('brand-voice-assets', {
  path: '/brand-voice-assets',
  tag: 'brand-voice',
  plural: 'brand voice assets',
  one: 'a brand voice asset',
  resource: 'brand_voice_asset',
  item: brandVoiceAsset,
  create: brandVoiceAssetCreate,
  patch: brandVoiceAssetPatch,
  listQuery: brandVoiceAssetListQuery,
});

/** Each collection: list, create, get, patch, delete, declared once (./collection.ts). */
export const collectionRoutes = {
  ...collection('competitors', {
    path: '/competitors',
    tag: 'competitors',
    plural: 'competitors',
    one: 'a competitor',
    resource: 'competitor',
    item: competitor,
    create: competitorCreate,
    patch: competitorPatch,
    listQuery: competitorListQuery,
  }),
  ...brandVoiceRoutes,
  // Pasted text of up to 5 MiB: the body may be 5.5 MiB (files come through uploads and imports).
  'brand-voice-assets/create': {
    ...brandVoiceRoutes['brand-voice-assets/create'],
    summary: 'Create a brand voice asset from pasted text (≤ 5 MiB); files come through uploads and imports',
    maxBodyBytes: MAX_BRAND_VOICE_BODY_BYTES,
  },
  // Deleting an asset deletes its original in the document store too.
  'brand-voice-assets/delete': {
    ...brandVoiceRoutes['brand-voice-assets/delete'],
    summary: 'Delete a brand voice asset and its original file',
    capabilities: ['db', 'documents-delete-object'],
  },
  ...collection('content', {
    path: '/content',
    tag: 'content',
    plural: 'content',
    one: 'a content item',
    resource: 'content',
    item: contentItem,
    create: contentCreate,
    patch: contentPatch,
    listQuery: contentListQuery,
  }),
  ...collection('content-calendar', {
    path: '/content-calendar',
    tag: 'content',
    plural: 'content calendar',
    one: 'a calendar entry',
    resource: 'content_calendar_entry',
    item: calendarEntry,
    create: calendarEntryCreate,
    patch: calendarEntryPatch,
    listQuery: calendarListQuery,
  }),
  ...collection('published-posts', {
    path: '/published-posts',
    tag: 'content',
    plural: 'published posts',
    one: 'a published post',
    resource: 'published_post',
    item: publishedPost,
    create: publishedPostCreate,
    patch: publishedPostPatch,
    listQuery: publishedPostListQuery,
  }),
} as const satisfies Record<string, RouteDef>;
