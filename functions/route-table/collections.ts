import type { RouteDef } from '#shared/http/route';
import { brandVoiceAssetRoutes } from './brand-voice-assets.ts';
import { competitorRoutes } from './competitors.ts';
import { contentRoutes } from './content.ts';
import { calendarRoutes } from './content-calendar.ts';
import { publishedPostRoutes } from './published-posts.ts';

/**
 * Every collection: list, create, get, patch, delete, declared once (./collection.ts). One file per collection,
 * so a function's bundle holds only its own collection's schemas (each entry imports its collection's file).
 */
export const collectionRoutes = {
  ...competitorRoutes,
  ...brandVoiceAssetRoutes,
  ...contentRoutes,
  ...calendarRoutes,
  ...publishedPostRoutes,
} as const satisfies Record<string, RouteDef>;
