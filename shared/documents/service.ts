import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { recordAudit } from '#shared/audit';
import { type Tx, withRefresher, withTenant } from '#shared/db/tenant';
import { NotFound, PayloadTooLarge, UserNotProvisioned } from '#shared/errors';
import { recordEvent } from '#shared/events/outbox';
import { logger } from '#shared/logger';
import { consumeRateLimit } from '#shared/rate-limit';
import type { BrandVoiceRow } from '#shared/resources/brand-voice-assets/repository';
import type { BrandVoiceAsset } from '#shared/resources/brand-voice-assets/schemas';
import { insertBrandVoiceRow, toBrandVoiceAsset } from '#shared/resources/brand-voice-assets/service';
import { extractDocument } from './extract.ts';
import { DocumentFailure, type FailureCode } from './failure.ts';
import { assetObjectKey, decodeEventKey, parseObjectKey } from './keys.ts';
import {
  DOCUMENT_LIMITS,
  type DocumentLimits,
  MiB,
  PROCESSING_EXPIRY_SECONDS,
  UPLOAD_EXPIRY_SECONDS,
} from './limits.ts';
import { getObject, presignDownload, presignUpload, sanitiseFileName } from './store.ts';
import type { UploadCreateBody } from './upload-schemas.ts';

/**
 * The lifecycle of a document: an upload is created `uploading` with a presigned POST for exactly its key;
 * when the object lands, S3 → SQS → the document worker reads it, extracts the text and sets `ready` or
 * `failed` with a code. Every write goes through withTenant for the user named by the key.
 */

const RESOURCE = 'brand_voice_asset';

/** The `brand_voice_asset.ready` / `.failed` event, in the outbox, in the transaction of the status change. */
export async function emitAssetEvent(
  tx: Tx,
  type: 'brand_voice_asset.ready' | 'brand_voice_asset.failed',
  asset: { id: string; title: string; failureCode: string | null; wordCount?: number },
): Promise<void> {
  await recordEvent(tx, {
    type,
    subject: { type: RESOURCE, id: asset.id },
    data:
      type === 'brand_voice_asset.ready'
        ? { title: asset.title, wordCount: asset.wordCount ?? 0 }
        : { title: asset.title, failureCode: asset.failureCode },
  });
}

/** A document that ended `failed`: its audit entry and its event, in the transaction of the status change. */
export async function recordAssetFailed(
  tx: Tx,
  asset: { id: string; title: string },
  code: FailureCode,
): Promise<void> {
  await recordAudit(tx, {
    action: 'brand_voice_asset.failed',
    resourceType: RESOURCE,
    resourceId: asset.id,
    metadata: { failureCode: code },
  });
  await emitAssetEvent(tx, 'brand_voice_asset.failed', {
    id: asset.id,
    title: asset.title,
    failureCode: code,
  });
}

const PROJECTION = `id, title, category, content, status, failure_code as "failureCode", file_name as "fileName",
  mime_type as "mimeType", file_size as "fileSize", file_sha256 as "fileSha256", file_pages as "filePages",
  word_count as "wordCount", source, source_file_id as "sourceFileId", source_revision as "sourceRevision",
  to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt",
  to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "updatedAt"`;

export interface UploadCreated {
  asset: BrandVoiceAsset;
  upload: { url: string; fields: Record<string, string>; expiresAt: string; maxSize: number };
}

/** POST /brand-voice-assets/uploads: the asset (`uploading`) and a presigned POST for exactly its object. */
export async function createUpload(
  userId: string,
  body: UploadCreateBody,
  limits: DocumentLimits = DOCUMENT_LIMITS,
): Promise<UploadCreated> {
  if (body.size > limits.maxFileBytes)
    throw new PayloadTooLarge(`A file may be at most ${limits.maxFileBytes / MiB} MiB.`);
  // Counted once the request is known to be valid, before the asset row and the upload slot exist.
  await consumeRateLimit(userId, 'upload');
  const row = await withTenant(userId, async (tx) => {
    const inserted = await insertBrandVoiceRow(
      tx,
      userId,
      {
        title: body.title,
        category: body.category,
        content: '',
        status: 'uploading',
        fileName: sanitiseFileName(body.fileName),
        mimeType: body.contentType,
        source: 'upload',
      },
      { source: 'upload' },
    );
    await recordAudit(tx, {
      action: 'brand_voice_asset.upload_started',
      resourceType: RESOURCE,
      resourceId: inserted.id,
      metadata: { contentType: body.contentType, size: body.size },
    });
    return inserted;
  });
  const upload = await presignUpload(assetObjectKey(userId, row.id), body.contentType, limits.maxFileBytes);
  return { asset: toBrandVoiceAsset(row), upload };
}

/** GET /brand-voice-assets/{id}/file: a presigned GET of the original; 404 when the asset has none. */
export async function getAssetFileLink(
  userId: string,
  id: string,
): Promise<{ url: string; expiresAt: string }> {
  const row = await withTenant(userId, async (tx) => {
    const { rows } = await tx.query<{ fileName: string | null; hasFile: boolean }>(
      `select file_name as "fileName", file_sha256 is not null as "hasFile"
         from brand_voice_assets where user_id = $1 and id = $2`,
      [userId, id],
    );
    return rows[0];
  });
  if (!row?.hasFile) throw new NotFound('File');
  return presignDownload(assetObjectKey(userId, id), row.fileName ?? 'document');
}

export interface ObjectCreated {
  key: string;
  /** The object's version id, else the event's sequencer, else its ETag: what "the same object" means. */
  version: string;
  size: number | null;
}

export type ProcessOutcome = 'ignored' | 'duplicate' | 'ready' | 'failed';

/** Reads at most `max` bytes and their SHA-256; over the limit → too_large without reading the rest. */
async function readObject(body: Readable, max: number): Promise<{ bytes: Buffer; sha256: string }> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > max) {
      body.destroy();
      throw new DocumentFailure('too_large', 'file');
    }
    hash.update(bytes);
    chunks.push(bytes);
  }
  return { bytes: Buffer.concat(chunks), sha256: hash.digest('hex') };
}

/**
 * Handles one object-created notification. The owner and asset come only from a key that parseObjectKey accepts;
 * the asset must be that user's (an object planted under someone else's prefix, or for an id that is not
 * theirs, is ignored). Claiming the version is atomic: a redelivered notification for a version already done
 * (or being done) does nothing.
 */
export async function processObjectCreated(
  object: ObjectCreated,
  limits: DocumentLimits = DOCUMENT_LIMITS,
): Promise<ProcessOutcome> {
  const parsed = parseObjectKey(object.key);
  if (!parsed) {
    logger.warn('Document worker: object key outside the layout, ignored');
    return 'ignored';
  }
  const { userId, assetId } = parsed;
  let claim: { fileName: string | null; mimeType: string | null } | 'ignored' | 'duplicate';
  try {
    claim = await withTenant(userId, async (tx) => {
      const { rows } = await tx.query<{
        status: string;
        objectVersion: string | null;
        stale: boolean;
        fileName: string | null;
        mimeType: string | null;
      }>(
        `select status, object_version as "objectVersion", file_name as "fileName", mime_type as "mimeType",
                status_changed_at < clock_timestamp() - interval '5 minutes' as stale
           from brand_voice_assets where user_id = $1 and id = $2 for update`,
        [userId, assetId],
      );
      const row = rows[0];
      if (!row) return 'ignored' as const;
      // Done, or being done by a live run (a crashed run's claim goes stale and is taken over).
      if (row.objectVersion === object.version && (row.status !== 'processing' || !row.stale))
        return 'duplicate' as const;
      await tx.query(
        `update brand_voice_assets
            set status = 'processing', failure_code = null, object_version = $3,
                status_changed_at = clock_timestamp(), updated_at = clock_timestamp()
          where user_id = $1 and id = $2`,
        [userId, assetId, object.version],
      );
      return { fileName: row.fileName, mimeType: row.mimeType };
    });
  } catch (error) {
    // The user was deleted while the upload was in flight: nobody to attribute it to.
    if (error instanceof UserNotProvisioned) return 'ignored';
    throw error;
  }
  if (claim === 'ignored') {
    logger.warn('Document worker: no such asset for the key, ignored');
    return 'ignored';
  }
  if (claim === 'duplicate') return 'duplicate';

  let outcome:
    | { ok: true; text: string; wordCount: number; pages: number | null; mimeType: string }
    | {
        ok: false;
        code: FailureCode;
      };
  let file: { size: number; sha256: string } | null = null;
  try {
    if (object.size !== null && object.size > limits.maxFileBytes)
      throw new DocumentFailure('too_large', 'file');
    const stored = await getObject(object.key);
    if (!stored) throw new DocumentFailure('not_found', 'object');
    const { bytes, sha256 } = await readObject(stored.body, limits.maxFileBytes);
    file = { size: bytes.length, sha256 };
    const extracted = await extractDocument(bytes, {
      declaredType: claim.mimeType,
      fileName: claim.fileName,
      limits,
    });
    outcome = { ok: true, ...extracted };
  } catch (error) {
    if (!(error instanceof DocumentFailure)) throw error; // S3 or the database: retried by SQS, then the DLQ
    outcome = { ok: false, code: error.code };
  }

  return withTenant(userId, async (tx) => {
    const { rows } = await tx.query<BrandVoiceRow>(
      `update brand_voice_assets
          set status = $4, failure_code = $5, content = $6, word_count = $7, file_pages = $8,
              mime_type = coalesce($9, mime_type), file_size = coalesce($10, file_size),
              file_sha256 = coalesce($11, file_sha256),
              status_changed_at = clock_timestamp(), updated_at = clock_timestamp()
        where user_id = $1 and id = $2 and object_version = $3 and status = 'processing'
        returning ${PROJECTION}`,
      [
        userId,
        assetId,
        object.version,
        outcome.ok ? 'ready' : 'failed',
        outcome.ok ? null : outcome.code,
        outcome.ok ? outcome.text : '',
        outcome.ok ? outcome.wordCount : 0,
        outcome.ok ? outcome.pages : null,
        outcome.ok ? outcome.mimeType : null,
        file?.size ?? null,
        file?.sha256 ?? null,
      ],
    );
    const row = rows[0];
    // A newer version claimed the asset meanwhile (or it was deleted): that run owns the result.
    if (!row) return 'duplicate';
    await recordAudit(tx, {
      action: outcome.ok ? 'brand_voice_asset.ready' : 'brand_voice_asset.failed',
      resourceType: RESOURCE,
      resourceId: row.id,
      metadata: outcome.ok
        ? { mimeType: row.mimeType, size: row.fileSize, pages: row.filePages, wordCount: row.wordCount }
        : { failureCode: outcome.code },
    });
    await emitAssetEvent(tx, outcome.ok ? 'brand_voice_asset.ready' : 'brand_voice_asset.failed', row);
    return outcome.ok ? 'ready' : 'failed';
  });
}

/** The S3 records in one SQS message body (S3 → SQS notification), ObjectCreated only. */
export function objectsInMessage(body: string): ObjectCreated[] {
  let parsed: { Records?: unknown[]; Event?: string };
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed.Records)) return []; // e.g. the s3:TestEvent sent when notifications are set up
  const out: ObjectCreated[] = [];
  for (const r of parsed.Records as Array<Record<string, unknown>>) {
    if (typeof r.eventName !== 'string' || !r.eventName.startsWith('ObjectCreated:')) continue;
    const o = (r.s3 as { object?: Record<string, unknown> } | undefined)?.object;
    const key = typeof o?.key === 'string' ? decodeEventKey(o.key) : null;
    if (!o || key === null) continue;
    const version = [o.versionId, o.sequencer, o.eTag].find((v) => typeof v === 'string' && v !== '') as
      | string
      | undefined;
    out.push({ key, version: version ?? 'unversioned', size: typeof o.size === 'number' ? o.size : null });
  }
  return out;
}

/**
 * The scheduled sweep (functions/documents/sweep-uploads.ts), as the refresher role, whose row policy on
 * brand_voice_assets allows exactly these changes (migrations 007, 017): an asset nobody will finish becomes
 * `failed`, emptied, with no import job left, and gets its audit entry and `brand_voice_asset.failed` event like
 * any other failure. Rows are taken oldest first, `batch` at a time, skipping rows a worker holds.
 */
async function sweepAssets(
  code: 'upload_expired' | 'timeout',
  stale: string,
  params: unknown[],
): Promise<number> {
  return withRefresher(async (tx) => {
    const { rows } = await tx.query<{ id: string; user_id: string; title: string }>(
      `update brand_voice_assets set status = 'failed', failure_code = $1, content = '', word_count = 0,
              import_job = null, import_claimed_at = null,
              status_changed_at = clock_timestamp(), updated_at = clock_timestamp()
        where id in (${stale} for update skip locked)
        returning id, user_id, title`,
      [code, ...params],
    );
    for (const row of rows) {
      await tx.query("select set_config('app.user_id', $1, true)", [row.user_id]);
      await recordAssetFailed(tx, row, code);
    }
    return rows.length;
  });
}

/** Uploads still `uploading` an hour after they were created become `failed: upload_expired`. */
export const sweepExpiredUploads = (olderThanSeconds = UPLOAD_EXPIRY_SECONDS, batch = 500): Promise<number> =>
  sweepAssets(
    'upload_expired',
    `select id from brand_voice_assets
      where status = 'uploading' and status_changed_at < clock_timestamp() - make_interval(secs => $2)
      order by status_changed_at limit $3`,
    [olderThanSeconds, batch],
  );

/**
 * Documents `processing` with no progress for PROCESSING_EXPIRY_SECONDS (neither their status nor an import claim
 * changed) become `failed: timeout` (API.md's code for a document that took too long): their queue message was dead-lettered (or is hopelessly late), so
 * nothing else would ever end them. A late delivery of the same import job or object version then does nothing
 * (the job is cleared; the version's run is over); importing the file again retries it.
 */
export const sweepStalledProcessing = (
  olderThanSeconds = PROCESSING_EXPIRY_SECONDS,
  batch = 500,
): Promise<number> =>
  sweepAssets(
    'timeout',
    `select id from brand_voice_assets
      where status = 'processing' and status_changed_at < clock_timestamp() - make_interval(secs => $2)
        and coalesce(import_claimed_at < clock_timestamp() - make_interval(secs => $2), true)
      order by status_changed_at limit $3`,
    [olderThanSeconds, batch],
  );
