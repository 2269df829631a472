import type { RouteDef } from '#shared/http/route';
import {
  brandVoiceAsset,
  brandVoiceAssetCreate,
  brandVoiceAssetListQuery,
  brandVoiceAssetPatch,
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
  ...collection('brand-voice-assets', {
    path: '/brand-voice-assets',
    tag: 'brand-voice',
    plural: 'brand voice assets',
    one: 'a brand voice asset',
    resource: 'brand_voice_asset',
    item: brandVoiceAsset,
    create: brandVoiceAssetCreate,
    patch: brandVoiceAssetPatch,
    listQuery: brandVoiceAssetListQuery,
  }),
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
