import * as z from 'zod/mini';
import { FAILURE_CODES } from '#shared/documents/failure';
import { pageQuery } from '#shared/http/schemas';
import { meta } from '#shared/schema-meta';
import { entityId, label, NON_EMPTY, nonEmpty, onFirstUse, text, timestamp } from '../fields.ts';

export const BRAND_VOICE_CATEGORIES = [
  'brand_guidelines',
  'tone_of_voice',
  'messaging',
  'visual_identity',
  'sample_content',
  'other',
] as const;
/** Where an asset came from: `upload` for posted and uploaded assets, the provider for imported ones. */
export const BRAND_VOICE_SOURCES = ['upload', 'google_drive', 'onedrive', 'dropbox'] as const;
export const BRAND_VOICE_STATUSES = ['uploading', 'processing', 'ready', 'failed'] as const;
/** Pasted or extracted text (UTF-8 bytes). */
export const MAX_BRAND_VOICE_CONTENT_BYTES = 5 * 1024 * 1024;
/** The JSON POST carries up to 5 MiB of content plus its JSON escaping (Lambda caps a request at 6 MB). */
export const MAX_BRAND_VOICE_BODY_BYTES = 5.5 * 1024 * 1024;

export const brandVoiceCategory = z.enum(BRAND_VOICE_CATEGORIES);
export const brandVoiceSource = z.enum(BRAND_VOICE_SOURCES);
export const brandVoiceStatus = z.enum(BRAND_VOICE_STATUSES);

/** The JSON POST: pasted text. Files come through uploads and imports. */
export const brandVoiceAssetCreate = onFirstUse(() =>
  meta(
    z.strictObject({
      title: label(300),
      category: brandVoiceCategory,
      content: text().check(
        z.refine(
          (value) => Buffer.byteLength(value, 'utf8') <= MAX_BRAND_VOICE_CONTENT_BYTES,
          'Must be at most 5 MiB (UTF-8)',
        ),
      ),
    }),
    { id: 'BrandVoiceAssetCreate' },
  ),
);

/** Only the title and the category can change; content comes from the text or the file. */
export const brandVoiceAssetPatch = onFirstUse(() =>
  meta(
    z
      .partial(z.strictObject({ title: label(300), category: brandVoiceCategory }))
      .check(z.refine(nonEmpty, NON_EMPTY)),
    { id: 'BrandVoiceAssetPatch', minProperties: 1 },
  ),
);

export const brandVoiceFile = onFirstUse(() =>
  meta(
    z.object({
      name: z.string(),
      mimeType: z.string(),
      size: z.number().check(z.int()),
      sha256: z.string(),
      pages: z.nullable(z.number().check(z.int())),
    }),
    { id: 'BrandVoiceAssetFile' },
  ),
);

export const brandVoiceFailure = onFirstUse(() =>
  meta(z.object({ code: z.enum(FAILURE_CODES), message: z.string() }), { id: 'BrandVoiceAssetFailure' }),
);

export const brandVoiceAsset = onFirstUse(() =>
  meta(
    z.object({
      id: entityId(),
      title: z.string(),
      category: brandVoiceCategory,
      content: z.string(),
      status: brandVoiceStatus,
      failure: z.nullable(brandVoiceFailure()),
      file: z.nullable(brandVoiceFile()),
      source: brandVoiceSource,
      sourceFileId: z.nullable(z.string()),
      sourceRevision: z.nullable(z.string()),
      wordCount: z.number().check(z.int()),
      createdAt: timestamp(),
      updatedAt: timestamp(),
    }),
    { id: 'BrandVoiceAsset' },
  ),
);

export const brandVoiceAssetListQuery = onFirstUse(() =>
  z.strictObject({
    ...pageQuery(),
    category: z.optional(brandVoiceCategory),
    status: z.optional(brandVoiceStatus),
  }),
);

export type BrandVoiceAssetCreate = z.output<ReturnType<typeof brandVoiceAssetCreate>>;
export type BrandVoiceAssetPatch = z.output<ReturnType<typeof brandVoiceAssetPatch>>;
export type BrandVoiceAsset = z.output<ReturnType<typeof brandVoiceAsset>>;
export type BrandVoiceAssetListQuery = z.output<ReturnType<typeof brandVoiceAssetListQuery>>;
