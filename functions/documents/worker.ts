import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { processImportMessage } from '#shared/documents/imports';
import { importMessageOf } from '#shared/documents/queue';
import { objectsInMessage, processObjectCreated } from '#shared/documents/service';
import { logger } from '#shared/logger';

/**
 * The document worker. Two kinds of messages arrive through its SQS queue: S3 object-created notifications
 * (extract the text) and import jobs from POST /brand-voice-assets/import (copy the provider's file into the
 * store, whose notification is then extracted like an upload). Each record is processed on its own; a record
 * that fails for a transient reason (S3, the database, the provider) is reported as a batch item failure and
 * retried by SQS, then dead-lettered. A document that breaks a bound, or a provider refusal, is not a failure of
 * the worker: it ends as a `failed` asset with a code, and the record succeeds.
 */
const processor = new BatchProcessor(EventType.SQS);

class RetryLater extends Error {
  constructor() {
    super('Import job retried later');
    this.name = 'RetryLater';
  }
}

async function processRecord(record: SQSRecord): Promise<void> {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
  const job = importMessageOf(record.body);
  if (job) {
    const outcome = await processImportMessage(job, { receiveCount });
    logger.info('Import processed', { outcome, receiveCount });
    if (outcome === 'retry') throw new RetryLater();
    return;
  }
  for (const object of objectsInMessage(record.body)) {
    const outcome = await processObjectCreated(object);
    logger.info('Document processed', { outcome, receiveCount });
  }
}

export const handler = async (event: SQSEvent, context: Context) => {
  logger.addContext(context);
  return processPartialResponse(event, processRecord, processor, { context });
};
