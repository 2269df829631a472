import type { Context } from 'aws-lambda';
import { sweepExpiredUploads, sweepStalledProcessing } from '#shared/documents/service';
import { logger } from '#shared/logger';

const BATCH = 500;

/**
 * EventBridge, every 15 minutes: uploads still `uploading` after an hour become `failed: upload_expired`, and
 * documents `processing` without progress for two hours (their queue message dead-lettered) become
 * `failed: timeout`.
 */
export const handler = async (_event: unknown, context: Context) => {
  logger.addContext(context);
  const sweep = async (one: () => Promise<number>): Promise<number> => {
    let total = 0;
    for (;;) {
      const n = await one();
      total += n;
      if (n < BATCH || context.getRemainingTimeInMillis() < 10_000) return total;
    }
  };
  const expired = await sweep(() => sweepExpiredUploads(undefined, BATCH));
  const stalled = await sweep(() => sweepStalledProcessing(undefined, BATCH));
  logger.info('Document sweep', { expired, stalled });
  return { expired, stalled };
};
