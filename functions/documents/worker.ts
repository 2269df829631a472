import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { objectsInMessage, processObjectCreated } from '#shared/documents/service';
import { logger } from '#shared/logger';

/**
 * The document worker: S3 object-created notifications arrive through SQS. Each record is processed on its own;
 * a record that fails for a transient reason (S3, the database) is reported as a batch item failure and retried
 * by SQS, then dead-lettered. A document that breaks a bound is not a failure of the worker: it ends as a
 * `failed` asset with a code, and the record succeeds.
 */
const processor = new BatchProcessor(EventType.SQS);

async function processRecord(record: SQSRecord): Promise<void> {
  for (const object of objectsInMessage(record.body)) {
    const outcome = await processObjectCreated(object);
    logger.info('Document processed', { outcome, receiveCount: record.attributes.ApproximateReceiveCount });
  }
}

export const handler = async (event: SQSEvent, context: Context) => {
  logger.addContext(context);
  return processPartialResponse(event, processRecord, processor, { context });
};
