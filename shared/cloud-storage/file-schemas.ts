import * as z from 'zod';
import { cloudFile } from '#shared/providers/types';
import { brandVoiceAsset, brandVoiceCategory } from '#shared/resources/brand-voice-assets/schemas';
import { label } from '#shared/resources/fields';
import { providerName } from './schemas.ts';

/** Ids are checked per provider by the service (their alphabets differ); here only their size. */
export const listFilesQuery = z.strictObject({
  folderId: z.string().min(1).max(300).optional(),
  /** The `nextCursor` of the previous page: the provider's continuation, signed for this user and folder. */
  cursor: z.string().min(1).max(8192).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** A file as listed: what the provider says, and whether POST /brand-voice-assets/import would take it. */
export const listedFile = cloudFile.extend({ importable: z.boolean() }).meta({ id: 'CloudFile' });

export const filesPage = z
  .object({ items: z.array(listedFile), nextCursor: z.string().nullable() })
  .meta({ id: 'CloudFilePage' });

export const brandVoiceImportBody = z
  .strictObject({
    provider: providerName,
    fileId: z.string().min(1).max(300),
    category: brandVoiceCategory,
    /** Defaults to the file name. */
    title: label(300).optional(),
  })
  .meta({ id: 'BrandVoiceAssetImport' });

export const brandVoiceImported = z
  .object({ asset: brandVoiceAsset() })
  .meta({ id: 'BrandVoiceAssetImported' });

export type ListFilesQuery = z.output<typeof listFilesQuery>;
export type FilesPage = z.output<typeof filesPage>;
export type BrandVoiceImportBody = z.output<typeof brandVoiceImportBody>;
