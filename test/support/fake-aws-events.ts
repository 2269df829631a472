import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Loopback stand-ins for EventBridge (JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`) and SQS (JSON 1.0,
 * `AmazonSQS.SendMessage` / `SendMessageBatch`), so the real SDK clients run unmodified against them. Like the
 * services, PutEvents reports failures per entry, and SQS answers with the body's MD5 (the SDK checks it).
 */
export interface PutEntry {
  EventBusName: string;
  Source: string;
  DetailType: string;
  Detail: string;
  Time?: number;
}

export interface FakeAwsEvents {
  endpoint: string;
  /** Every entry EventBridge accepted, in the order received. */
  readonly accepted: PutEntry[];
  /** PutEvents calls, each with its entries (accepted or not). */
  readonly putCalls: PutEntry[][];
  /** Entries whose detail matches are refused (`InternalFailure`) while this returns true. */
  failEntriesWhere(predicate: ((entry: PutEntry) => boolean) | undefined): void;
  /** Messages sent to each queue URL. */
  readonly messages: Map<string, string[]>;
  clear(): void;
  close(): Promise<void>;
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

export async function startFakeAwsEvents(): Promise<FakeAwsEvents> {
  const accepted: PutEntry[] = [];
  const putCalls: PutEntry[][] = [];
  const messages = new Map<string, string[]>();
  let failWhere: ((entry: PutEntry) => boolean) | undefined;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      const reply = (status: number, json: unknown, type: string) => {
        res.writeHead(status, { 'content-type': type, 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(json));
      };
      if (target === 'AWSEvents.PutEvents') {
        const entries = body.Entries as PutEntry[];
        putCalls.push(entries);
        const results = entries.map((entry) => {
          if (failWhere?.(entry)) return { ErrorCode: 'InternalFailure', ErrorMessage: 'Injected failure' };
          accepted.push(entry);
          return { EventId: randomUUID() };
        });
        reply(
          200,
          { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results },
          'application/x-amz-json-1.1',
        );
        return;
      }
      const send = (url: string, text: string) => {
        const list = messages.get(url) ?? [];
        list.push(text);
        messages.set(url, list);
        return { MessageId: randomUUID(), MD5OfMessageBody: md5(text) };
      };
      if (target === 'AmazonSQS.SendMessage') {
        reply(200, send(body.QueueUrl, body.MessageBody), 'application/x-amz-json-1.0');
        return;
      }
      if (target === 'AmazonSQS.SendMessageBatch') {
        const successful = (body.Entries as Array<{ Id: string; MessageBody: string }>).map((e) => ({
          Id: e.Id,
          ...send(body.QueueUrl, e.MessageBody),
        }));
        reply(200, { Successful: successful, Failed: [] }, 'application/x-amz-json-1.0');
        return;
      }
      reply(400, { __type: 'UnknownOperationException', message: target }, 'application/x-amz-json-1.1');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accepted,
    putCalls,
    messages,
    failEntriesWhere(predicate) {
      failWhere = predicate;
    },
    clear() {
      accepted.length = 0;
      putCalls.length = 0;
      messages.clear();
      failWhere = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
