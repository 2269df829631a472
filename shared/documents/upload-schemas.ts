import * as z from 'zod';
import { brandVoiceAsset, brandVoiceCategory } from '#shared/resources/brand-voice-assets/schemas';
import { label } from '#shared/resources/fields';

/** What a browser may upload: the declared content type and the file name's extension must both be one of these. */
export const UPLOAD_TYPES: Record<string, readonly string[]> = {
  'application/pdf': ['pdf'],
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': ['docx'],
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': ['pptx'],
  'text/plain': ['txt', 'text'],
  'text/markdown': ['md', 'markdown'],
  'text/x-markdown': ['md', 'markdown'],
  'text/html': ['html', 'htm'],
  'text/csv': ['csv'],
};
const EXTENSIONS = new Set(Object.values(UPLOAD_TYPES).flat());

const extension = (name: string): string => /\.([A-Za-z0-9]{1,10})$/.exec(name)?.[1]?.toLowerCase() ?? '';

export const uploadCreateBody = z
  .strictObject({
    title: label(300),
    category: brandVoiceCategory,
    fileName: z
      .string()
      .min(1)
      .max(255)
      .refine(
        (n) => EXTENSIONS.has(extension(n)),
        'Must end in .pdf, .docx, .pptx, .txt, .md, .html or .csv',
      ),
    contentType: z
      .string()
      .max(255)
      .refine((t) => t in UPLOAD_TYPES, 'Must be one of the supported content types')
      .meta({ enum: Object.keys(UPLOAD_TYPES) }),
    size: z.number().int().min(1),
  })
  .meta({ id: 'BrandVoiceUploadCreate' });

export const presignedUpload = z
  .object({
    url: z.string(),
    fields: z.record(z.string(), z.string()),
    expiresAt: z.iso.datetime(),
    maxSize: z.number().int(),
  })
  .meta({ id: 'PresignedUpload' });

export const uploadCreated = z
  .object({ asset: brandVoiceAsset(), upload: presignedUpload })
  .meta({ id: 'BrandVoiceUploadCreated' });

export const fileLink = z
  .object({ url: z.string(), expiresAt: z.iso.datetime() })
  .meta({ id: 'BrandVoiceAssetFileLink' });

export type UploadCreateBody = z.output<typeof uploadCreateBody>;
