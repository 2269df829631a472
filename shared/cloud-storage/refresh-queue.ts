import type { SQSClient } from '@aws-sdk/client-sqs';
import { isLambda, optionalEnv } from '#shared/config';
import type { RefreshMessage, RefreshQueue } from './refresh-fanout.ts';

/**
 * Where the refresh scheduler sends due connection ids: the stage's SQS refresh queue (REFRESH_QUEUE_URL) in
 * AWS, the in-process queue the local runtime registers (`npm start`, `npm run refresh`) locally. In Lambda
 * without a queue URL it fails closed: claimed ids must never vanish silently.
 */
let local: RefreshQueue | undefined;
let sqs: Promise<SQSClient> | undefined;

/** The local runtime's stand-in (local/refresh-queue.ts); `undefined` unregisters it. */
export function useLocalRefreshQueue(queue: RefreshQueue | undefined): void {
  local = queue;
}

export function refreshQueue(): RefreshQueue {
  const url = optionalEnv('REFRESH_QUEUE_URL');
  if (url) return sqsRefreshQueue(url);
  if (local && !isLambda()) return local;
  throw new Error('No refresh queue: REFRESH_QUEUE_URL is not set');
}

/** SendMessageBatch of up to 10 ids; any entry SQS did not take fails the whole batch (its claims are released). */
function sqsRefreshQueue(queueUrl: string): RefreshQueue {
  return {
    async send(messages: RefreshMessage[]) {
      if (messages.length === 0) return;
      if (messages.length > 10) throw new Error('SendMessageBatch takes at most 10 entries');
      const sdk = await import('@aws-sdk/client-sqs');
      sqs ??= Promise.resolve(new sdk.SQSClient({}));
      const result = await (await sqs).send(
        new sdk.SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((message, i) => ({ Id: String(i), MessageBody: JSON.stringify(message) })),
        }),
      );
      const failed = result.Failed ?? [];
      if (failed.length > 0) {
        throw new Error(
          `SQS refused ${failed.length} of ${messages.length} refresh ids (${[...new Set(failed.map((f) => f.Code))].join(', ')})`,
        );
      }
    },
  };
}
