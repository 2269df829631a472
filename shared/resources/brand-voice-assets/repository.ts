import { defineCollection } from '#shared/db/collection';
import type { BrandVoiceAsset } from './schemas.ts';

export type BrandVoiceColumn =
  | 'title'
  | 'category'
  | 'content'
  | 'fileName'
  | 'mimeType'
  | 'source'
  | 'sourceFileId';

export const brandVoiceAssetsTable = defineCollection<BrandVoiceColumn, BrandVoiceAsset>({
  table: 'brand_voice_assets',
  resourceType: 'brand_voice_asset',
  mutable: true,
  largeColumns: ['content'],
  columns: {
    title: { column: 'title', type: 'text' },
    category: { column: 'category', type: 'text' },
    content: { column: 'content', type: 'text' },
    fileName: { column: 'file_name', type: 'text' },
    mimeType: { column: 'mime_type', type: 'text' },
    source: { column: 'source', type: 'text' },
    sourceFileId: { column: 'source_file_id', type: 'text' },
  },
});
