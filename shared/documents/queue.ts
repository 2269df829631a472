import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { optionalEnv, requireEnv } from '#shared/config';
import { PROVIDERS } from '#shared/providers/types';

/**
 * The document queue also carries import jobs: the S3 notifications of new objects, and `brand_voice_import`
 * messages sent by POST /brand-voice-assets/import. One queue, one worker, one dead-letter queue: an import
 * copies the provider's file into the store, and the object-created notification of that copy is extracted
 * exactly like an upload. In AWS the queue is DOCUMENTS_QUEUE_URL; locally DOCUMENTS_SQS_ENDPOINT points the
 * same SDK client at the loopback stand-in (local/s3/queue.ts).
 */
export const importMessage = z.strictObject({
  kind: z.literal('brand_voice_import'),
  v: z.literal(1),
  userId: z.uuid(),
  assetId: z.uuid(),
  /** The row's `import_job` this message is for: any other value means superseded or already done. */
  job: z.uuid(),
  provider: z.enum(PROVIDERS),
  fileId: z.string().check(z.minLength(1), z.maxLength(300)),
});
export type ImportMessage = z.output<typeof importMessage>;

/** The import job in an SQS message body, or null (S3 notifications and anything else). */
export function importMessageOf(body: string): ImportMessage | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object' || (parsed as { kind?: unknown }).kind !== 'brand_voice_import')
    return null;
  const result = importMessage.safeParse(parsed);
  return result.success ? result.data : null;
}

let client: SQSClient | undefined;
let clientKey = '';

function sqs(): SQSClient {
  const endpoint = optionalEnv('DOCUMENTS_SQS_ENDPOINT');
  const key = `${endpoint ?? ''}|${process.env.AWS_REGION ?? ''}`;
  if (client && key === clientKey) return client;
  clientKey = key;
  client = new SQSClient(endpoint ? { endpoint } : {});
  return client;
}

export async function sendImportMessage(message: ImportMessage): Promise<void> {
  await sqs().send(
    new SendMessageCommand({
      QueueUrl: requireEnv('DOCUMENTS_QUEUE_URL'),
      MessageBody: JSON.stringify(importMessage.parse(message)),
    }),
  );
}
