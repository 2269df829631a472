import type { SessionOptions } from '#shared/cloud-storage/provider-session';
import { withProviderSession } from '#shared/cloud-storage/provider-session';
import { type Tx, withTenant } from '#shared/db/tenant';
import { HttpProblem, UserNotProvisioned } from '#shared/errors';
import { logger } from '#shared/logger';
import type { RemoteFile } from '#shared/providers/downloads';
import { ProviderError } from '#shared/providers/errors';
import { FileContentError } from '#shared/providers/file-content';
import type { Provider } from '#shared/providers/types';
import { DocumentFailure, type FailureCode } from './failure.ts';
import { assetObjectKey } from './keys.ts';
import { DOCUMENT_LIMITS, DOCUMENT_QUEUE_MAX_RECEIVES, type DocumentLimits } from './limits.ts';
import type { ImportMessage } from './queue.ts';
import { recordAssetFailed } from './service.ts';
import { deleteObject, putStream, sanitiseFileName } from './store.ts';
import { UPLOAD_TYPES } from './upload-schemas.ts';

/**
 * Imports from cloud storage, the document worker's half: a `brand_voice_import` message names an asset and
 * the job its import row carries. The worker claims the job, streams the provider's file into the asset's key
 * (multipart through @aws-sdk/lib-storage, bounded memory, aborted on any failure so no part is left behind),
 * and clears the job. The object-created notification of that copy is then extracted like an upload. A message
 * whose job is not the row's any more (done, superseded, deleted, or rolled back with the request) does
 * nothing; provider failures end the asset as `failed` with a code, transient ones after the last delivery.
 */

/**
 * Serialises everything about one provider file of one user: the import request and the worker take it
 * before reading the row, so the worker never reads a job whose request has not committed or rolled back yet.
 */
export async function importLock(tx: Tx, userId: string, provider: Provider, fileId: string): Promise<void> {
  await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `brand_voice_import:${userId}:${provider}:${fileId}`,
  ]);
}

const EXTENSIONS: Record<string, string> = Object.fromEntries(
  Object.entries(UPLOAD_TYPES).flatMap(([type, exts]) => exts.map((ext) => [ext, type])),
);
const EXPORT_EXTENSION: Record<string, string> = {
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'text/csv': 'csv',
};

/**
 * What an importable file becomes in the store (its media type and download name), or null when the provider
 * says it is none of the supported types (by media type or by name, as for uploads). The bytes decide later.
 */
export function importTarget(remote: RemoteFile): { mimeType: string; fileName: string } | null {
  const name = sanitiseFileName(remote.file.name.trim() || 'document');
  if (remote.exported && remote.mimeType) {
    const ext = EXPORT_EXTENSION[remote.mimeType];
    return {
      mimeType: remote.mimeType,
      fileName: ext && !name.endsWith(`.${ext}`) ? `${name}.${ext}` : name,
    };
  }
  const declared = remote.mimeType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const ext = /\.([A-Za-z0-9]{1,10})$/.exec(name)?.[1]?.toLowerCase() ?? '';
  if (declared in UPLOAD_TYPES) return { mimeType: declared, fileName: name };
  const byName = EXTENSIONS[ext];
  return byName ? { mimeType: byName, fileName: name } : null;
}

export type ImportOutcome = 'copied' | 'failed' | 'superseded' | 'retry';

/** How long one copy may take (the worker's timeout is 120 s; the extraction runs in its own invocation). */
const COPY_BUDGET_MS = 90_000;
/** A claim older than this is a crashed run's (the worker runs at most 120 s): a redelivery takes it over. */
const STALE_CLAIM = '5 minutes';

/** A provider outcome as the asset's failure code, or 'retry' for what may pass (while deliveries remain). */
function failureOf(error: unknown): FailureCode | 'retry' | undefined {
  if (error instanceof DocumentFailure) return error.code;
  if (error instanceof FileContentError)
    return error.reason === 'too_large' ? 'too_large' : 'unsupported_type';
  if (error instanceof ProviderError) {
    if (error.kind === 'not_found') return 'not_found';
    if (error.kind === 'transient' || error.kind === 'rate_limited') return 'retry';
    return 'provider_error';
  }
  if (error instanceof HttpProblem) {
    // The session words its outcomes as problems: re-consent needed, or the connection is gone.
    if (error.status === 409 || error.status === 404) return 'reauth_required';
    if (error.status === 429 || error.status >= 500) return 'retry';
    return 'provider_error';
  }
  return undefined; // S3 or the database: the message is retried, then dead-lettered
}

export async function processImportMessage(
  message: ImportMessage,
  delivery: { receiveCount: number },
  limits: DocumentLimits = DOCUMENT_LIMITS,
  session: Partial<SessionOptions> = {},
): Promise<ImportOutcome> {
  const { userId, assetId, job, provider, fileId } = message;
  let claim: 'claimed' | 'superseded' | 'busy';
  try {
    claim = await withTenant(userId, async (tx) => {
      await importLock(tx, userId, provider, fileId);
      const { rows } = await tx.query<{ importJob: string | null; busy: boolean }>(
        `select import_job as "importJob",
                coalesce(import_claimed_at > clock_timestamp() - $3::interval, false) as busy
           from brand_voice_assets
          where user_id = $1 and id = $2 and source = $4 and source_file_id = $5 for update`,
        [userId, assetId, STALE_CLAIM, provider, fileId],
      );
      const row = rows[0];
      if (!row || row.importJob !== job) return 'superseded' as const;
      if (row.busy) return 'busy' as const;
      await tx.query(
        'update brand_voice_assets set import_claimed_at = clock_timestamp() where user_id = $1 and id = $2',
        [userId, assetId],
      );
      return 'claimed' as const;
    });
  } catch (error) {
    if (error instanceof UserNotProvisioned) return 'superseded'; // the account was deleted meanwhile
    throw error;
  }
  if (claim === 'superseded') return 'superseded';
  if (claim === 'busy') return 'retry'; // another delivery is copying it now: look again later

  const key = assetObjectKey(userId, assetId);
  let failure: FailureCode;
  try {
    const copied = await withProviderSession(
      userId,
      provider,
      async (files) => {
        const opened = await files.openFile(fileId);
        try {
          await putStream(key, opened.body, { contentType: opened.mimeType, maxBytes: limits.maxFileBytes });
        } finally {
          opened.cancel();
        }
        return { revision: opened.revision, viaExportLink: opened.viaExportLink };
      },
      { deadline: Date.now() + COPY_BUDGET_MS, maxAttemptMs: COPY_BUDGET_MS, ...session },
    );
    const done = await withTenant(userId, async (tx) => {
      const { rowCount } = await tx.query(
        `update brand_voice_assets set import_job = null, import_claimed_at = null, source_revision = $4
          where user_id = $1 and id = $2 and import_job = $3`,
        [userId, assetId, job, copied.revision],
      );
      return (rowCount ?? 0) > 0;
    });
    if (!done) {
      // Deleted while it was being copied: the copy must not outlive it (a newer job rewrites the same key).
      const gone = await withTenant(userId, async (tx) => {
        const { rows } = await tx.query('select 1 from brand_voice_assets where user_id = $1 and id = $2', [
          userId,
          assetId,
        ]);
        return rows.length === 0;
      });
      if (gone) await deleteObject(key);
      return 'superseded';
    }
    logger.info('Import copied', { provider, viaExportLink: copied.viaExportLink });
    return 'copied';
  } catch (error) {
    const outcome = failureOf(error);
    const last = delivery.receiveCount >= DOCUMENT_QUEUE_MAX_RECEIVES;
    if (outcome === undefined) {
      if (!last) throw error;
      logger.error('Import failed on its last delivery', { errorName: (error as { name?: string }).name });
      failure = 'provider_error';
    } else if (outcome === 'retry') {
      if (!last) {
        await releaseClaim(userId, assetId, job);
        return 'retry';
      }
      failure = 'provider_error';
    } else {
      failure = outcome;
    }
  }
  return (await failImport(userId, assetId, job, failure)) ? 'failed' : 'superseded';
}

/** A transient failure: the next delivery may claim the job again at once. */
async function releaseClaim(userId: string, assetId: string, job: string): Promise<void> {
  await withTenant(userId, (tx) =>
    tx.query(
      'update brand_voice_assets set import_claimed_at = null where user_id = $1 and id = $2 and import_job = $3',
      [userId, assetId, job],
    ),
  );
}

async function failImport(userId: string, assetId: string, job: string, code: FailureCode): Promise<boolean> {
  return withTenant(userId, async (tx) => {
    const { rows } = await tx.query<{ id: string; title: string }>(
      `update brand_voice_assets
          set status = 'failed', failure_code = $4, content = '', word_count = 0,
              import_job = null, import_claimed_at = null,
              status_changed_at = clock_timestamp(), updated_at = clock_timestamp()
        where user_id = $1 and id = $2 and import_job = $3
        returning id, title`,
      [userId, assetId, job, code],
    );
    const row = rows[0];
    if (!row) return false;
    await recordAssetFailed(tx, row, code);
    return true;
  });
}
