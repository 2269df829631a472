import type { RouteDef } from '#shared/http/route';
import {
  brandVoiceAsset,
  brandVoiceAssetCreate,
  brandVoiceAssetListQuery,
  brandVoiceAssetPatch,
  MAX_BRAND_VOICE_BODY_BYTES,
} from '#shared/resources/brand-voice-assets/schemas';
import { collection, withChanges } from './collection.ts';

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

/** /brand-voice-assets: the collection routes (./collection.ts), with a larger body for pasted text. */
export const brandVoiceAssetRoutes = {
  ...brandVoiceRoutes,
  // Pasted text of up to 5 MiB: the body may be 5.5 MiB (files come through uploads and imports).
  'brand-voice-assets/create': withChanges(brandVoiceRoutes['brand-voice-assets/create'], {
    summary: 'Create a brand voice asset from pasted text (≤ 5 MiB); files come through uploads and imports',
    maxBodyBytes: MAX_BRAND_VOICE_BODY_BYTES,
  }),
  // Deleting an asset deletes its original in the document store too.
  'brand-voice-assets/delete': withChanges(brandVoiceRoutes['brand-voice-assets/delete'], {
    summary: 'Delete a brand voice asset and its original file',
    capabilities: ['db', 'documents-delete-object'] as const,
  }),
} as const satisfies Record<string, RouteDef>;
