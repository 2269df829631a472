import { GOOGLE_EXPORTS } from '#shared/providers/downloads';
import type { CloudFile } from '#shared/providers/types';
import { DOCUMENT_LIMITS } from './limits.ts';
import { UPLOAD_TYPES } from './upload-schemas.ts';

const EXTENSIONS = new Set(Object.values(UPLOAD_TYPES).flat());

/**
 * Whether `POST /brand-voice-assets/import` would take a listed file: not a folder; a Google Doc, Slides deck or
 * Sheet (exported), or a supported type by media type or name within the size limit (importTarget's rules, from
 * what a listing knows; the worker still checks the bytes). Kept free of the document store so the files
 * listing's bundle stays small.
 */
export function isImportable(file: CloudFile): boolean {
  if (file.isFolder) return false;
  const mimeType = file.mimeType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (mimeType in GOOGLE_EXPORTS) return true;
  if (file.size !== null && file.size > DOCUMENT_LIMITS.maxFileBytes) return false;
  if (mimeType in UPLOAD_TYPES) return true;
  const extension = /\.([A-Za-z0-9]{1,10})$/.exec(file.name.trim())?.[1]?.toLowerCase() ?? '';
  return EXTENSIONS.has(extension);
}
