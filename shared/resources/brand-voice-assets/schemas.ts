import * as z from 'zod';
import { pageQuery } from '#shared/http/schemas';
import { entityId, label, NON_EMPTY, nonEmpty, text, timestamp } from '../fields.ts';

export const BRAND_VOICE_CATEGORIES = [
  'brand_guidelines',
  'tone_of_voice',
  'messaging',
  'visual_identity',
  'sample_content',
  'other',
] as const;
/** Where an asset came from: `upload` for POSTed assets, the provider for imported ones. */
export const BRAND_VOICE_SOURCES = ['upload', 'google_drive', 'onedrive', 'dropbox'] as const;
export const MAX_BRAND_VOICE_CONTENT_BYTES = 1024 * 1024;

export const brandVoiceCategory = z.enum(BRAND_VOICE_CATEGORIES);
export const brandVoiceSource = z.enum(BRAND_VOICE_SOURCES);

/** Every writable field. `source` is not one of them: the service sets it. */
const fields = z.strictObject({
  title: label(300),
  category: brandVoiceCategory,
  content: text().refine(
    (value) => Buffer.byteLength(value, 'utf8') <= MAX_BRAND_VOICE_CONTENT_BYTES,
    'Must be at most 1 MiB (UTF-8)',
  ),
  fileName: text().max(500).nullable(),
  mimeType: text().max(255).nullable(),
  sourceFileId: text().max(1000).nullable(),
});

export const brandVoiceAssetCreate = fields
  .partial()
  .required({ title: true, category: true, content: true })
  .meta({ id: 'BrandVoiceAssetCreate' });
export const brandVoiceAssetPatch = fields
  .partial()
  .refine(nonEmpty, NON_EMPTY)
  .meta({ id: 'BrandVoiceAssetPatch', minProperties: 1 });

export const brandVoiceAsset = z
  .object({
    id: entityId(),
    title: z.string(),
    category: brandVoiceCategory,
    content: z.string(),
    fileName: z.string().nullable(),
    mimeType: z.string().nullable(),
    source: brandVoiceSource,
    sourceFileId: z.string().nullable(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  })
  .meta({ id: 'BrandVoiceAsset' });

export const brandVoiceAssetListQuery = z.strictObject({
  ...pageQuery,
  category: brandVoiceCategory.optional(),
});

export type BrandVoiceAssetCreate = z.output<typeof brandVoiceAssetCreate>;
export type BrandVoiceAssetPatch = z.output<typeof brandVoiceAssetPatch>;
export type BrandVoiceAsset = z.output<typeof brandVoiceAsset>;
export type BrandVoiceSource = z.output<typeof brandVoiceSource>;
export type BrandVoiceAssetListQuery = z.output<typeof brandVoiceAssetListQuery>;
