import type { Context } from 'aws-lambda';
import { sweepExpiredUploads } from '#shared/documents/service';
import { logger } from '#shared/logger';

/** EventBridge, every 15 minutes: uploads still `uploading` after an hour become `failed: upload_expired`. */
export const handler = async (_event: unknown, context: Context) => {
  logger.addContext(context);
  let total = 0;
  for (;;) {
    const n = await sweepExpiredUploads();
    total += n;
    if (n < 500 || context.getRemainingTimeInMillis() < 10_000) break;
  }
  logger.info('Upload sweep', { expired: total });
  return { expired: total };
};
