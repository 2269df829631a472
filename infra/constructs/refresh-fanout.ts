import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { JobDef } from '#functions/jobs';
import type { WorkerDef } from '#functions/workers';
import type { BackendFunction } from './backend-function.ts';

/** SQS delivers at most this many records per batch; the scheduler sends them 10 per SendMessageBatch. */
export const REFRESH_BATCH_SIZE = 10;

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
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.workerTimeout.toSeconds() * 6),
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
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
   * The refresh worker: consumes the queue in batches of 10 with partial batch failures, at most
   * `reservedConcurrency` at once (reserved on the function, the same cap on the event source), alarmed on its
   * errors and on the metrics its worker-table entry names.
   */
  public addWorker(key: string, def: WorkerDef, fn: BackendFunction, reservedConcurrency: number): void {
    fn.addEventSource(
      new lambdaEvents.SqsEventSource(this.queue, {
        batchSize: REFRESH_BATCH_SIZE,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        // The event source's minimum is 2.
        maxConcurrency: Math.max(2, reservedConcurrency),
      }),
    );
    const period = Duration.minutes(5);
    this.alarms.push(
      new cloudwatch.Alarm(this, 'WorkerErrors', {
        alarmDescription: `functions/${key}.ts failed whole batches (they come back after the visibility timeout)`,
        metric: fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: 3,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    for (const metricName of def.alarmOnMetrics?.names ?? []) {
      const { namespace, service } = def.alarmOnMetrics!;
      this.alarms.push(
        new cloudwatch.Alarm(this, `Worker${metricName}`, {
          alarmDescription: `functions/${key}.ts reported ${metricName}`,
          metric: new cloudwatch.Metric({
            namespace,
            metricName,
            dimensionsMap: { service },
            period,
            statistic: cloudwatch.Stats.SUM,
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
  }
}
