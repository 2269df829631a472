import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * The local stand-in for the documents queue and its event source mapping: every SQS-shaped event is handed
 * to the document worker's handler in-process (the same entry file the Lambda runs). Records the handler
 * reports as batch item failures are redelivered after a pause with ApproximateReceiveCount + 1, up to
 * maxReceiveCount, then dropped as SQS would move them to the DLQ (and logged).
 */
export interface LocalQueue {
  send(event: SQSEvent): void;
  /** Resolves when nothing is in flight (tests, shutdown). */
  idle(): Promise<void>;
}

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export function createLocalQueue(options: {
  loadHandler: () => Promise<Handler>;
  maxReceiveCount?: number;
  retryDelayMs?: number;
  log?: (line: string) => void;
}): LocalQueue {
  const maxReceive = options.maxReceiveCount ?? 3;
  const delay = options.retryDelayMs ?? 1000;
  const inFlight = new Set<Promise<void>>();

  const context = (): Context =>
    ({
      awsRequestId: randomUUID(),
      functionName: 'documents/worker',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:documents-worker',
      memoryLimitInMB: '1769',
      logGroupName: 'local',
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: false,
      getRemainingTimeInMillis: () => 120_000,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    }) as Context;

  const deliver = async (records: SQSRecord[]): Promise<void> => {
    const handler = await options.loadHandler();
    let failed: SQSRecord[];
    try {
      const response = await handler({ Records: records }, context());
      const ids = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      failed = records.filter((r) => ids.has(r.messageId));
    } catch {
      failed = records; // the whole batch failed
    }
    for (const record of failed) {
      const count = Number(record.attributes.ApproximateReceiveCount) + 1;
      if (count > maxReceive) {
        options.log?.(
          `documents queue: message ${record.messageId} dead-lettered after ${maxReceive} receives`,
        );
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      await deliver([
        { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(count) } },
      ]);
    }
  };

  return {
    send(event) {
      const p = deliver(event.Records).finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
