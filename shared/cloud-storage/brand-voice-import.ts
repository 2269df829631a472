import { recordAudit } from '#shared/audit';
import { withTenantWrite } from '#shared/db/idempotency';
import { countWords } from '#shared/documents/words';
import { BadRequest } from '#shared/errors';
import { isValidItemId } from '#shared/providers/file-content';
import { consumeRateLimit } from '#shared/rate-limit';
import { type BrandVoiceAsset, brandVoiceAssetCreate } from '#shared/resources/brand-voice-assets/schemas';
import { insertBrandVoiceRow, toBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';
import type { BrandVoiceImportBody } from './file-schemas.ts';
import { fileProblem, invalidId } from './problems.ts';
import { type SessionOptions, withProviderSession } from './provider-session.ts';

/** The synchronous text import returns the asset in its response (Lambda caps a response at 6 MB). */
const SYNC_IMPORT_MAX_BYTES = 1024 * 1024;

/** Shortens to at most `max` UTF-16 units without splitting a surrogate pair. */
function clip(value: string, max: number): string {
  if (value.length <= max) return value;
  let out = '';
  for (const ch of value) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out;
}

/**
 * Imports a text file (or a Google Doc, exported as text) from the user's connected storage as a brand voice
 * asset with `source` = the provider. The file is read through the user's own connection only: another
 * user's file id is simply not found there. Over 1 MiB → 413, not text → 400. The asset and its
 * `brand_voice_asset.imported` event are written in one transaction.
 */
export async function importBrandVoiceAsset(
  userId: string,
  body: BrandVoiceImportBody,
  options: SessionOptions,
): Promise<BrandVoiceAsset> {
  if (!isValidItemId(body.provider, body.fileId)) throw invalidId('fileId');
  await consumeRateLimit(userId, 'import');
  const read = await withProviderSession(
    userId,
    body.provider,
    (files) => files.readTextFile(body.fileId, SYNC_IMPORT_MAX_BYTES),
    options,
  ).catch((error: unknown) => fileProblem(error, { what: 'File' }));

  const name = read.file.name.trim();
  const input = brandVoiceAssetCreate.safeParse({
    title: body.title ?? clip(name || 'Untitled', 300),
    category: body.category,
    content: read.text,
  });
  if (!input.success) {
    // Only reachable through content the text checks let pass but the column refuses.
    throw new BadRequest('The file cannot be stored as a brand voice asset.', [
      { path: 'fileId', message: 'Unsupported content' },
    ]);
  }
  return withTenantWrite(userId, async (tx) => {
    const asset = toBrandVoiceAsset(
      await insertBrandVoiceRow(
        tx,
        userId,
        {
          ...input.data,
          fileName: name ? clip(name, 500) : null,
          mimeType: read.mimeType ? clip(read.mimeType, 255) : null,
          sourceFileId: body.fileId,
          source: body.provider,
          status: 'ready',
          wordCount: countWords(input.data.content),
        },
        { source: body.provider },
      ),
    );
    await recordAudit(tx, {
      action: 'brand_voice_asset.imported',
      resourceType: 'brand_voice_asset',
      resourceId: asset.id,
      metadata: { provider: body.provider, fileId: body.fileId, bytes: read.bytes },
    });
    return asset;
  });
}
