import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface WorkerQueueProps {
  /** The consuming function's timeout: the visibility timeout is six times it (AWS's guidance for SQS sources). */
  readonly workerTimeout: Duration;
  /** How long an undelivered message is kept. */
  readonly retentionPeriod: Duration;
  /** Deliveries before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

/**
 * A queue that a worker function consumes, and its dead-letter queue (14 days, to inspect and redrive), created in
 * `scope` as `Queue` and `DeadLetters`: both SQS-encrypted and TLS only. The Operations aspect alarms on the
 * dead-letter queue's depth.
 */
export function workerQueue(
  scope: Construct,
  props: WorkerQueueProps,
): { queue: sqs.Queue; deadLetterQueue: sqs.Queue } {
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetters', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: Duration.seconds(props.workerTimeout.toSeconds() * 6),
    retentionPeriod: props.retentionPeriod,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}
