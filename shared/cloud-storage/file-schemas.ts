import * as z from 'zod';
import { cloudFile } from '#shared/providers/types';
import { brandVoiceAsset, brandVoiceCategory } from '#shared/resources/brand-voice-assets/schemas';
import { label } from '#shared/resources/fields';
import { providerName } from './schemas.ts';

/** Ids are checked per provider by the service (their alphabets differ); here only their size. */
export const listFilesQuery = z.strictObject({
  folderId: z.string().min(1).max(300).optional(),
  pageToken: z.string().min(1).max(8192).optional(),
  pageSize: z.coerce.number().int().min(1).max(100).default(50),
});

export const filesPage = z
  .object({ files: z.array(cloudFile), nextPageToken: z.string().nullable() })
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
  .object({ asset: brandVoiceAsset })
  .meta({ id: 'BrandVoiceAssetImported' });

export type ListFilesQuery = z.output<typeof listFilesQuery>;
export type FilesPage = z.output<typeof filesPage>;
export type BrandVoiceImportBody = z.output<typeof brandVoiceImportBody>;
