import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetter } from './webhooks.ts';

let client: Promise<SQSClient> | undefined;

/** Dead letters go to the webhook dead-letter queue (its depth raises the alarm); operators redrive from it. */
export function sqsDeadLetter(queueUrl: string, endpoint?: string): (letter: DeadLetter) => Promise<void> {
  return async (letter) => {
    const sdk = await import('@aws-sdk/client-sqs');
    client ??= Promise.resolve(new sdk.SQSClient(endpoint ? { endpoint } : {}));
    await (await client).send(
      new sdk.SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(letter) }),
    );
  };
}
