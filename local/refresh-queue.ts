/**
 * The refresh queue's local stand-in: the same scheduler and worker handlers as in AWS, over an in-process queue
 * that hands the worker SQS-shaped events (`Records` with `messageId`, `body`, `attributes.ApproximateReceiveCount`)
 * and honours partial batch failures like the Lambda SQS integration: the records a worker reports back, or its
 * whole batch when it throws, become visible again; everything else is deleted.
 */
import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { workers as workerTable } from '#functions/workers';
import type { RefreshMessage, RefreshQueue } from '#shared/cloud-storage/refresh-fanout';
import { useLocalRefreshQueue } from '#shared/cloud-storage/refresh-queue';
import { invokeJob, invokeWorker } from './lambda.ts';

interface Stored {
  messageId: string;
  body: string;
  receiveCount: number;
  inFlight: boolean;
}

export class InProcessQueue implements RefreshQueue {
  private readonly messages: Stored[] = [];
  sent = 0;

  async send(messages: RefreshMessage[]): Promise<void> {
    if (messages.length > 10) throw new Error('SendMessageBatch takes at most 10 entries');
    for (const message of messages) this.enqueue(JSON.stringify(message));
  }

  /** Puts a message on the queue (also used to inject duplicates, which standard SQS queues may deliver). */
  enqueue(body: string): void {
    this.messages.push({ messageId: randomUUID(), body, receiveCount: 0, inFlight: false });
    this.sent += 1;
  }

  get depth(): number {
    return this.messages.length;
  }

  /** Up to `max` visible messages, now in flight. */
  receive(max = 10): SQSRecord[] {
    const batch = this.messages.filter((m) => !m.inFlight).slice(0, max);
    for (const m of batch) {
      m.inFlight = true;
      m.receiveCount += 1;
    }
    return batch.map((m) => toRecord(m));
  }

  /** Ends a delivery: deleted, or (failed) visible again. */
  settle(messageIds: string[], failed: ReadonlySet<string>): void {
    for (const id of messageIds) {
      const index = this.messages.findIndex((m) => m.messageId === id);
      if (index < 0) continue;
      const [message] = this.messages.splice(index, 1);
      // Visible again after its visibility timeout: behind what is already waiting.
      if (failed.has(id)) this.messages.push({ ...message!, inFlight: false });
    }
  }

  /**
   * Runs `workers` concurrent pollers, each invoking `handler` with batches of up to `batchSize` records, until
   * the queue is empty (or `maxRounds` batches per poller, for messages that keep failing).
   */
  async drain(
    handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
    options: { workers?: number; batchSize?: number; maxRounds?: number } = {},
  ): Promise<{ invocations: number; crashed: number }> {
    const stats = { invocations: 0, crashed: 0 };
    const poller = async () => {
      for (let round = 0; round < (options.maxRounds ?? 10_000); round += 1) {
        const records = this.receive(options.batchSize ?? 10);
        if (records.length === 0) {
          if (!this.messages.some((m) => m.inFlight)) return;
          await new Promise((resolve) => setTimeout(resolve, 5));
          continue;
        }
        stats.invocations += 1;
        const ids = records.map((r) => r.messageId);
        try {
          const response = await handler({ Records: records });
          this.settle(ids, new Set(response.batchItemFailures.map((f) => f.itemIdentifier)));
        } catch {
          // A function error: the whole batch comes back (as with SQS after the visibility timeout).
          stats.crashed += 1;
          this.settle(ids, new Set(ids));
        }
      }
    };
    await Promise.all(Array.from({ length: options.workers ?? 1 }, poller));
    return stats;
  }
}

function toRecord(m: Stored): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: m.messageId,
    receiptHandle: `${m.messageId}:${m.receiveCount}`,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: now,
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:token-refresh',
    awsRegion: process.env.AWS_REGION ?? 'local',
  };
}

/**
 * One run of the refresh as it runs in AWS, locally: the scheduler job (functions/token-refresh/handler.ts) claims
 * due ids into `queue` (registered as the refresh queue for it), then `workers` pollers hand them to the refresh
 * worker (functions/token-refresh/worker.ts) in SQS-shaped batches of its batch size (functions/workers.ts) until
 * the queue is empty. Records a
 * worker returns (a paused provider) go around again, at most `maxRounds` batches per poller; what is still
 * queued then stays for the next run. `npm start` runs this every 5 minutes, `npm run refresh` once.
 */
export async function runLocalRefresh(
  queue: InProcessQueue,
  options: { workers?: number; maxRounds?: number } = {},
): Promise<{ scheduled: unknown; invocations: number; crashed: number; left: number }> {
  useLocalRefreshQueue(queue);
  const scheduled = await invokeJob('token-refresh/handler');
  const drained = await queue.drain((event) => invokeWorker('token-refresh/worker', event), {
    workers: options.workers ?? 2,
    batchSize: workerTable['token-refresh/worker'].batchSize,
    maxRounds: options.maxRounds ?? 1_000,
  });
  return { scheduled, ...drained, left: queue.depth };
}
