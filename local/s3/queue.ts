import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DOCUMENT_QUEUE_MAX_RECEIVES } from '#shared/documents/limits';

/**
 * The local stand-in for the documents queue and its event source mapping: every SQS-shaped event is handed
 * to the document worker's handler in-process (the same entry file the Lambda runs). Records the handler
 * reports as batch item failures are redelivered after a pause with ApproximateReceiveCount + 1, up to
 * maxReceiveCount, then dropped as SQS would move them to the DLQ (and logged).
 * Messages sent with the SQS API (import jobs) reach it through startLocalSqs below.
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
  const maxReceive = options.maxReceiveCount ?? DOCUMENT_QUEUE_MAX_RECEIVES;
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

/** An SQS record as the Lambda event source mapping delivers it (first receive). */
export function sqsRecord(body: string, region = 'us-east-1'): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${region}:000000000000:local-documents`,
    awsRegion: region,
  };
}

export interface LocalSqs {
  /** For the SDK's `endpoint` (DOCUMENTS_SQS_ENDPOINT). */
  endpoint: string;
  /** DOCUMENTS_QUEUE_URL. */
  queueUrl: string;
  /** Bodies sent so far (tests redeliver them). */
  sent: string[];
  stop(): Promise<void>;
}

/**
 * The SQS API in front of the local queue, as much of it as the app uses: SendMessage (AWS JSON 1.0, what
 * @aws-sdk/client-sqs speaks), with the MD5 of the body the SDK checks. Anything else is refused.
 */
export async function startLocalSqs(queue: LocalQueue, region = 'us-east-1'): Promise<LocalSqs> {
  const sent: string[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(body));
    };
    let input: { QueueUrl?: unknown; MessageBody?: unknown };
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      return reply(400, { __type: 'com.amazon.coral.service#SerializationException' });
    }
    if (req.headers['x-amz-target'] !== 'AmazonSQS.SendMessage')
      return reply(400, {
        __type: 'com.amazonaws.sqs#UnsupportedOperation',
        message: 'local: SendMessage only',
      });
    if (input.QueueUrl !== queueUrl || typeof input.MessageBody !== 'string')
      return reply(400, {
        __type: 'com.amazonaws.sqs#QueueDoesNotExist',
        message: 'The specified queue does not exist.',
      });
    const body = input.MessageBody;
    sent.push(body);
    queue.send({ Records: [sqsRecord(body, region)] });
    reply(200, { MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(body).digest('hex') });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const queueUrl = `${endpoint}/000000000000/local-documents`;
  return {
    endpoint,
    queueUrl,
    sent,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
