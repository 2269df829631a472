import type { Condition } from '#shared/db/collection';
import type { Page } from '#shared/db/pagination';
import type { Tx } from '#shared/db/tenant';
import { type FailureCode, failureMessage } from '#shared/documents/failure';
import { countWords } from '#shared/documents/words';
import { collectionService } from '../collection-service.ts';
import { type BrandVoiceRow, brandVoiceAssetsTable } from './repository.ts';
import type {
  BrandVoiceAsset,
  BrandVoiceAssetCreate,
  BrandVoiceAssetListQuery,
  BrandVoiceAssetPatch,
} from './schemas.ts';

const assets = collectionService(brandVoiceAssetsTable, 'Brand voice asset');

/** The API shape of a stored row: `file` once the original has been read, `failure` with its fixed message. */
export function toBrandVoiceAsset(row: BrandVoiceRow): BrandVoiceAsset {
  const code = row.failureCode as FailureCode | null;
  return {
    id: row.id,
    title: row.title,
    category: row.category as BrandVoiceAsset['category'],
    content: row.content,
    status: row.status as BrandVoiceAsset['status'],
    failure: code ? { code, message: failureMessage(code) } : null,
    file:
      row.fileSha256 !== null && row.fileSize !== null
        ? {
            name: row.fileName ?? 'document',
            mimeType: row.mimeType ?? 'application/octet-stream',
            size: row.fileSize,
            sha256: row.fileSha256,
            pages: row.filePages,
          }
        : null,
    source: row.source as BrandVoiceAsset['source'],
    sourceFileId: row.sourceFileId,
    sourceRevision: row.sourceRevision,
    wordCount: row.wordCount,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export async function listBrandVoiceAssets(
  userId: string,
  query: BrandVoiceAssetListQuery,
): Promise<Page<BrandVoiceAsset>> {
  const where: Condition[] = [];
  if (query.category) where.push({ column: 'category', type: 'text', op: '=', value: query.category });
  if (query.status) where.push({ column: 'status', type: 'text', op: '=', value: query.status });
  const page = await assets.list(userId, query, where);
  return { items: page.items.map(toBrandVoiceAsset), nextCursor: page.nextCursor };
}

/** Pasted text: `source` upload, ready at once. */
export const createBrandVoiceAsset = async (
  userId: string,
  input: BrandVoiceAssetCreate,
): Promise<BrandVoiceAsset> =>
  toBrandVoiceAsset(
    await assets.create(
      userId,
      { ...input, source: 'upload', status: 'ready', wordCount: countWords(input.content) },
      { metadata: { source: 'upload' } },
    ),
  );

/** An asset row inside the caller's transaction (uploads and imports write their own audit event with it). */
export const insertBrandVoiceRow = (
  tx: Tx,
  userId: string,
  values: Partial<Record<keyof BrandVoiceRow, unknown>>,
  metadata: Record<string, unknown>,
): Promise<BrandVoiceRow> => brandVoiceAssetsTable.insert(tx, userId, values, { metadata });

export const getBrandVoiceAsset = async (userId: string, id: string): Promise<BrandVoiceAsset> =>
  toBrandVoiceAsset(await assets.get(userId, id));
export const updateBrandVoiceAsset = async (
  userId: string,
  id: string,
  patch: BrandVoiceAssetPatch,
): Promise<BrandVoiceAsset> => toBrandVoiceAsset(await assets.update(userId, id, patch));
