import { withTenantWrite } from '#shared/db/idempotency';
import { assetObjectKey } from '#shared/documents/keys';
import { deleteObject } from '#shared/documents/store';
import { NotFound, ServiceUnavailable } from '#shared/errors';
import { logger } from '#shared/logger';
import { removeBrandVoiceRow } from './repository.ts';

// Apart from ./service.ts: only deletion reaches the document store, so the other brand-voice routes' bundles
// leave the S3 client out (the runtime's SDK would otherwise load at each of their cold starts).

/**
 * Deletes the asset and its original in the document store. Order: the row (and its audit event) is deleted,
 * then the object, both inside the row's transaction: when S3 refuses, the transaction rolls back and the
 * asset stays whole (503, a retry is safe); when the commit fails after the object is gone, the row remains
 * without its file (its text is intact, the download 404s at S3) and a retry of the DELETE finishes the job
 * (deleting a missing key succeeds). Account deletion empties the user's prefix as the backstop.
 */
export async function deleteBrandVoiceAsset(userId: string, id: string): Promise<void> {
  const removed = await withTenantWrite(userId, async (tx) => {
    const removed = await removeBrandVoiceRow(tx, userId, id);
    if (!removed) return false;
    if (!removed.mayHaveObject) return true; // pasted text: nothing in the store
    try {
      await deleteObject(assetObjectKey(userId, id));
    } catch (error) {
      logger.warn('Document store refused to delete an original; the asset is kept', {
        errorName: (error as { name?: string }).name,
      });
      throw new ServiceUnavailable('The document store is briefly unavailable; retry.', 2);
    }
    return true;
  });
  if (!removed) throw new NotFound('Brand voice asset');
}
