import { randomUUID } from 'node:crypto';
import { recordAudit } from '#shared/audit';
import { withTenantWrite } from '#shared/db/idempotency';
import { importLock, importTarget } from '#shared/documents/imports';
import { DOCUMENT_LIMITS, MiB } from '#shared/documents/limits';
import { sendImportMessage } from '#shared/documents/queue';
import { BadRequest, PayloadTooLarge, ServiceUnavailable } from '#shared/errors';
import { logger } from '#shared/logger';
import { isValidItemId } from '#shared/providers/file-content';
import { consumeRateLimit } from '#shared/rate-limit';
import { brandVoiceAssetsTable } from '#shared/resources/brand-voice-assets/repository';
import type { BrandVoiceAsset } from '#shared/resources/brand-voice-assets/schemas';
import { insertBrandVoiceRow, toBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';
import type { BrandVoiceImportBody } from './file-schemas.ts';
import { fileProblem, invalidId } from './problems.ts';
import { type SessionOptions, withProviderSession } from './provider-session.ts';

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

/** Failures a new attempt at the same revision may cure: the provider's or a stalled run's, not the file's. */
const RETRYABLE = new Set(['provider_error', 'reauth_required', 'not_found', 'timeout']);

export interface ImportStarted {
  /** 202: a new asset, being copied; 200: the asset of an earlier import of the same file. */
  status: 200 | 202;
  asset: BrandVoiceAsset;
}

/** Called inside the row's transaction, before its commit: a refused send rolls the row back (503). */
async function enqueue(message: Parameters<typeof sendImportMessage>[0]): Promise<void> {
  try {
    await sendImportMessage(message);
  } catch (error) {
    logger.warn('Document queue refused an import job; nothing was written', {
      errorName: (error as { name?: string }).name,
    });
    throw new ServiceUnavailable('Imports are briefly unavailable; retry.', 2);
  }
}

/**
 * POST /brand-voice-assets/import: checks the provider file through the user's own connection (another user's
 * file id is simply not found there; a connection that needs re-consent is refused before any provider call),
 * then creates the asset (`processing`) and queues the copy, in one transaction. The document worker streams
 * the file into the store; its object-created notification is extracted like an upload.
 *
 * The same provider file again: the existing asset (200), re-imported only when the provider's revision moved
 * (or the last attempt failed for a reason a new attempt may cure). Concurrent imports of one file are
 * serialised by a transaction-scoped advisory lock, which the worker takes too before reading the job.
 */
export async function importBrandVoiceAsset(
  userId: string,
  body: BrandVoiceImportBody,
  options: SessionOptions,
): Promise<ImportStarted> {
  const { provider, fileId } = body;
  if (!isValidItemId(provider, fileId)) throw invalidId('fileId');
  await consumeRateLimit(userId, 'import');
  const remote = await withProviderSession(
    userId,
    provider,
    (files) => files.describeFile(fileId),
    options,
  ).catch((error: unknown) => fileProblem(error, { what: 'File' }));
  if (remote.file.isFolder)
    throw new BadRequest('The fileId refers to a folder, not a file.', [
      { path: 'fileId', message: 'Not a file' },
    ]);
  const target = importTarget(remote);
  if (!target) {
    throw new BadRequest(
      'Only PDF, DOCX, PPTX, TXT, Markdown, HTML and CSV files and Google Docs, Slides and Sheets can be imported.',
      [{ path: 'fileId', message: 'Not a supported file type' }],
    );
  }
  const max = DOCUMENT_LIMITS.maxFileBytes;
  // A Google-native document's size is its storage, not its export's: the copy enforces the limit on the bytes.
  if (!remote.exported && remote.file.size !== null && remote.file.size > max)
    throw new PayloadTooLarge(`A file may be at most ${max / MiB} MiB.`);

  return withTenantWrite(userId, async (tx) => {
    await importLock(tx, userId, provider, fileId);
    const { rows } = await tx.query<{
      id: string;
      status: string;
      failureCode: string | null;
      sourceRevision: string | null;
      importJob: string | null;
    }>(
      `select id, status, failure_code as "failureCode", source_revision as "sourceRevision",
              import_job as "importJob"
         from brand_voice_assets where user_id = $1 and source = $2 and source_file_id = $3
        order by created_at desc, id desc limit 1 for update`,
      [userId, provider, fileId],
    );
    const existing = rows[0];
    const job = randomUUID();
    const metadata = { provider, fileId, revision: remote.revision };
    if (existing) {
      const unchanged = existing.sourceRevision !== null && existing.sourceRevision === remote.revision;
      const retry = existing.status === 'failed' && RETRYABLE.has(existing.failureCode ?? '');
      if (existing.importJob !== null || (unchanged && !retry)) {
        const row = await brandVoiceAssetsTable.get(tx, userId, existing.id);
        return { status: 200 as const, asset: toBrandVoiceAsset(row!) };
      }
      await tx.query(
        `update brand_voice_assets
            set status = 'processing', failure_code = null, source_revision = $3, mime_type = $4, file_name = $5,
                import_job = $6, import_claimed_at = null,
                status_changed_at = clock_timestamp(), updated_at = clock_timestamp()
          where user_id = $1 and id = $2`,
        [userId, existing.id, remote.revision, target.mimeType, target.fileName, job],
      );
      await recordAudit(tx, {
        action: 'brand_voice_asset.imported',
        resourceType: 'brand_voice_asset',
        resourceId: existing.id,
        metadata: { ...metadata, again: true },
      });
      await enqueue({
        kind: 'brand_voice_import',
        v: 1,
        userId,
        assetId: existing.id,
        job,
        provider,
        fileId,
      });
      const row = await brandVoiceAssetsTable.get(tx, userId, existing.id);
      return { status: 200 as const, asset: toBrandVoiceAsset(row!) };
    }

    const inserted = await insertBrandVoiceRow(
      tx,
      userId,
      {
        title: body.title ?? clip(remote.file.name.trim() || 'Untitled', 300),
        category: body.category,
        content: '',
        status: 'processing',
        fileName: target.fileName,
        mimeType: target.mimeType,
        source: provider,
        sourceFileId: fileId,
        sourceRevision: remote.revision,
      },
      { source: provider },
    );
    await tx.query('update brand_voice_assets set import_job = $3 where user_id = $1 and id = $2', [
      userId,
      inserted.id,
      job,
    ]);
    await recordAudit(tx, {
      action: 'brand_voice_asset.imported',
      resourceType: 'brand_voice_asset',
      resourceId: inserted.id,
      metadata,
    });
    await enqueue({ kind: 'brand_voice_import', v: 1, userId, assetId: inserted.id, job, provider, fileId });
    return { status: 202 as const, asset: toBrandVoiceAsset(inserted) };
  });
}
