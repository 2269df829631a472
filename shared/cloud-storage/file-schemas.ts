import * as z from 'zod/mini';
import { cloudFile } from '#shared/providers/types';
import { brandVoiceAsset, brandVoiceCategory } from '#shared/resources/brand-voice-assets/schemas';
import { label } from '#shared/resources/fields';
import { meta } from '#shared/schema-meta';
import { providerName } from './schemas.ts';

/** Ids are checked per provider by the service (their alphabets differ); here only their size. */
export const listFilesQuery = z.strictObject({
  folderId: z.optional(z.string().check(z.minLength(1), z.maxLength(300))),
  /** The `nextCursor` of the previous page: the provider's continuation, signed for this user and folder. */
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(8192))),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 50),
});

/** A file as listed: what the provider says, and whether POST /brand-voice-assets/import would take it. */
export const listedFile = meta(z.extend(cloudFile, { importable: z.boolean() }), { id: 'CloudFile' });

export const filesPage = meta(z.object({ items: z.array(listedFile), nextCursor: z.nullable(z.string()) }), {
  id: 'CloudFilePage',
});

export const brandVoiceImportBody = meta(
  z.strictObject({
    provider: providerName,
    fileId: z.string().check(z.minLength(1), z.maxLength(300)),
    category: brandVoiceCategory,
    /** Defaults to the file name. */
    title: z.optional(label(300)),
  }),
  { id: 'BrandVoiceAssetImport' },
);

export const brandVoiceImported = meta(z.object({ asset: brandVoiceAsset() }), {
  id: 'BrandVoiceAssetImported',
});

export type ListFilesQuery = z.output<typeof listFilesQuery>;
export type FilesPage = z.output<typeof filesPage>;
export type BrandVoiceImportBody = z.output<typeof brandVoiceImportBody>;
