import type { Page } from '#shared/db/pagination';
import type { Tx } from '#shared/db/tenant';
import { collectionService } from '../collection-service.ts';
import { brandVoiceAssetsTable } from './repository.ts';
import type {
  BrandVoiceAsset,
  BrandVoiceAssetCreate,
  BrandVoiceAssetListQuery,
  BrandVoiceAssetPatch,
  BrandVoiceSource,
} from './schemas.ts';

const assets = collectionService(brandVoiceAssetsTable, 'Brand voice asset');

export const listBrandVoiceAssets = (
  userId: string,
  query: BrandVoiceAssetListQuery,
): Promise<Page<BrandVoiceAsset>> =>
  assets.list(
    userId,
    query,
    query.category ? [{ column: 'category', type: 'text', op: '=', value: query.category }] : [],
  );

/**
 * Creates an asset. `source` is never taken from a request body: POST /brand-voice-assets creates `upload`
 * assets, and the provider import calls this with the provider it read the file from.
 */
export const createBrandVoiceAsset = (
  userId: string,
  input: BrandVoiceAssetCreate,
  source: BrandVoiceSource = 'upload',
): Promise<BrandVoiceAsset> => assets.create(userId, { ...input, source }, { metadata: { source } });

/**
 * The same create path inside the caller's transaction, for the provider import (which writes its own
 * `brand_voice_asset.imported` event in that transaction).
 */
export const insertBrandVoiceAsset = (
  tx: Tx,
  userId: string,
  input: BrandVoiceAssetCreate,
  source: BrandVoiceSource,
): Promise<BrandVoiceAsset> =>
  brandVoiceAssetsTable.insert(tx, userId, { ...input, source }, { metadata: { source } });

export const getBrandVoiceAsset = (userId: string, id: string): Promise<BrandVoiceAsset> =>
  assets.get(userId, id);
export const updateBrandVoiceAsset = (
  userId: string,
  id: string,
  patch: BrandVoiceAssetPatch,
): Promise<BrandVoiceAsset> => assets.update(userId, id, patch);
export const deleteBrandVoiceAsset = (userId: string, id: string): Promise<void> => assets.remove(userId, id);
