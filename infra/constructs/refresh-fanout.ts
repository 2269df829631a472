import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { JobDef } from '#functions/jobs';
import type { WorkerDef } from '#functions/workers';
import { reportedMetricAlarms, workerErrorsAlarm } from './alarms.ts';
import type { BackendFunction } from './backend-function.ts';
import { workerQueue } from './worker-queue.ts';

export interface RefreshFanoutProps {
  /** The job table's functions: the one with the `refresh-queue` capability (the scheduler) may send. */
  readonly jobs: ReadonlyArray<readonly [string, JobDef, BackendFunction]>;
  /** The worker's timeout: the queue's visibility timeout is six times it (AWS's guidance for SQS sources). */
  readonly workerTimeout: Duration;
}

/**
 * The refresh at scale (ARCHITECTURE.md "Refresh at scale"): the scheduler job sends due connection ids to this
 * queue (REFRESH_QUEUE_URL, sqs:SendMessage on this queue only); the refresh worker consumes it with partial batch
 * failures and a reserved concurrency (the stage's), which is also the event source's maximum concurrency, so
 * SQS never hands a throttled worker a batch it would have to count as a failed receive. A record that failed five
 * times goes to the dead-letter queue (the operations aspect alarms on its depth); its row is due again once the
 * scheduler's claim lease ends anyway. Messages older than an hour are dropped: by then the scheduler has claimed
 * the row again.
 */
export class RefreshFanout extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: RefreshFanoutProps) {
    super(scope, id);
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workerQueue(this, {
      workerTimeout: props.workerTimeout,
      retentionPeriod: Duration.hours(1),
      maxReceiveCount: 5,
    }));
    const senders = props.jobs.filter(([, def]) =>
      (def.capabilities as readonly string[]).includes('refresh-queue'),
    );
    for (const [, , fn] of senders) {
      fn.addEnvironment('REFRESH_QUEUE_URL', this.queue.queueUrl);
      fn.bindStatements('RefreshQueueSend', [
        new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
      ]);
    }
  }

  /**
   * The refresh worker: consumes the queue in batches of its worker-table batch size (the scheduler sends 10 per
   * SendMessageBatch; SQS gathers them for up to a second) with partial batch failures, at most
   * `reservedConcurrency` at once (reserved on the function, the same cap on the event source), alarmed on its
   * errors and on the metrics its worker-table entry names.
   */
  public addWorker(key: string, def: WorkerDef, fn: BackendFunction, reservedConcurrency: number): void {
    fn.addEventSource(
      new lambdaEvents.SqsEventSource(this.queue, {
        batchSize: def.batchSize,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        // The event source's minimum is 2.
        maxConcurrency: Math.max(2, reservedConcurrency),
      }),
    );
    this.alarms.push(
      workerErrorsAlarm(
        this,
        'WorkerErrors',
        fn,
        `functions/${key}.ts failed whole batches (they come back after the visibility timeout)`,
      ),
      ...reportedMetricAlarms(this, 'Worker', key, def.alarmOnMetrics, Duration.minutes(5)),
    );
  }
}
