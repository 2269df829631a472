import * as z from 'zod/mini';
import { brandVoiceAsset, brandVoiceCategory } from '#shared/resources/brand-voice-assets/schemas';
import { label } from '#shared/resources/fields';
import { meta } from '#shared/schema-meta';

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

export const uploadCreateBody = meta(
  z.strictObject({
    title: label(300),
    category: brandVoiceCategory,
    fileName: z.string().check(
      z.minLength(1),
      z.maxLength(255),
      z.refine(
        (n) => EXTENSIONS.has(extension(n)),
        'Must end in .pdf, .docx, .pptx, .txt, .md, .html or .csv',
      ),
    ),
    contentType: meta(
      z.string().check(
        z.maxLength(255),
        z.refine((t) => t in UPLOAD_TYPES, 'Must be one of the supported content types'),
      ),
      { enum: Object.keys(UPLOAD_TYPES) },
    ),
    size: z.number().check(z.int(), z.gte(1)),
  }),
  { id: 'BrandVoiceUploadCreate' },
);

export const presignedUpload = meta(
  z.object({
    url: z.string(),
    fields: z.record(z.string(), z.string()),
    expiresAt: z.iso.datetime(),
    maxSize: z.number().check(z.int()),
  }),
  { id: 'PresignedUpload' },
);

export const uploadCreated = meta(z.object({ asset: brandVoiceAsset(), upload: presignedUpload }), {
  id: 'BrandVoiceUploadCreated',
});

export const fileLink = meta(z.object({ url: z.string(), expiresAt: z.iso.datetime() }), {
  id: 'BrandVoiceAssetFileLink',
});

export type UploadCreateBody = z.output<typeof uploadCreateBody>;
