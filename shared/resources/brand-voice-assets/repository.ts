import { defineCollection } from '#shared/db/collection';
import type { Tx } from '#shared/db/tenant';

export type BrandVoiceColumn =
  | 'title'
  | 'category'
  | 'content'
  | 'status'
  | 'failureCode'
  | 'fileName'
  | 'mimeType'
  | 'fileSize'
  | 'fileSha256'
  | 'filePages'
  | 'wordCount'
  | 'source'
  | 'sourceFileId'
  | 'sourceRevision';

/** A row as stored (flat); the service shapes it into the API's BrandVoiceAsset. */
export interface BrandVoiceRow {
  id: string;
  title: string;
  category: string;
  content: string;
  status: string;
  failureCode: string | null;
  fileName: string | null;
  mimeType: string | null;
  fileSize: number | null;
  fileSha256: string | null;
  filePages: number | null;
  wordCount: number;
  source: string;
  sourceFileId: string | null;
  sourceRevision: string | null;
  createdAt: string;
  updatedAt: string;
}

export const brandVoiceAssetsTable = defineCollection<BrandVoiceColumn, BrandVoiceRow>({
  table: 'brand_voice_assets',
  resourceType: 'brand_voice_asset',
  mutable: true,
  largeColumns: ['content'],
  columns: {
    title: { column: 'title', type: 'text' },
    category: { column: 'category', type: 'text' },
    content: { column: 'content', type: 'text' },
    status: { column: 'status', type: 'text' },
    failureCode: { column: 'failure_code', type: 'text' },
    fileName: { column: 'file_name', type: 'text' },
    mimeType: { column: 'mime_type', type: 'text' },
    fileSize: { column: 'file_size', type: 'integer' },
    fileSha256: { column: 'file_sha256', type: 'text' },
    filePages: { column: 'file_pages', type: 'integer' },
    wordCount: { column: 'word_count', type: 'integer' },
    source: { column: 'source', type: 'text' },
    sourceFileId: { column: 'source_file_id', type: 'text' },
    sourceRevision: { column: 'source_revision', type: 'text' },
  },
});

/**
 * Deletes an asset with its `brand_voice_asset.deleted` audit event in one statement (as every collection's
 * delete). Returns null when there is no such asset of the user, else whether an original may be stored:
 * every asset that is not pasted text (uploads and imports have one, or may be receiving one).
 */
export async function removeBrandVoiceRow(
  tx: Tx,
  userId: string,
  id: string,
): Promise<{ mayHaveObject: boolean } | null> {
  const { rows } = await tx.query<{ mayHaveObject: boolean }>(
    `with del as (delete from brand_voice_assets where user_id = $1::uuid and id = $2::uuid
        returning id, user_id, (file_sha256 is not null or status <> 'ready') as may_have_object),
      audit as (insert into audit_log (user_id, action, resource_type, resource_id, metadata)
        select del.user_id, 'brand_voice_asset.deleted', 'brand_voice_asset', del.id::text, '{}'::jsonb from del)
      select may_have_object as "mayHaveObject" from del`,
    [userId, id],
  );
  return rows[0] ?? null;
}
