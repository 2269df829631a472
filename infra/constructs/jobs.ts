import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct, type IConstruct } from 'constructs';
import type { JobDef } from '#functions/jobs';
import { deadLetterAlarm, reportedMetricAlarms, thresholdAlarm } from './alarms.ts';
import type { BackendFunction } from './backend-function.ts';
import { constructIdFor } from './functions.ts';

export interface JobTriggersProps {
  readonly jobs: ReadonlyArray<readonly [string, JobDef, BackendFunction]>;
  /** What a deploy-time job needs first (the database instance and the role secrets). */
  readonly runAfter: IConstruct[];
  /** What must wait for deploy-time jobs (the functions that expect the migrated schema). */
  readonly runBefore: IConstruct[];
}

/**
 * How the job table's functions are started and watched: `scheduleRateMinutes` → an EventBridge rule at that
 * rate (no retries by EventBridge or Lambda: the next run is minutes away; undeliverable events in a DLQ) and
 * alarms on failed runs, undelivered events, persistent overlap and `alarmOnMetrics`; `runOnDeploy` → a CDK Trigger invoked synchronously during the
 * deployment (after the database, before the route functions), whose failure fails and rolls back the deploy.
 */
export class JobTriggers extends Construct {
  public readonly schedules = new Map<string, events.Rule>();
  public readonly deployTriggers = new Map<string, triggers.Trigger>();
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: JobTriggersProps) {
    super(scope, id);
    for (const [key, job, fn] of props.jobs) {
      const name = constructIdFor(key);
      if (job.scheduleRateMinutes !== undefined) {
        const period = Duration.minutes(job.scheduleRateMinutes);
        // No retries anywhere: the next run is minutes away and picks up whatever is still due. EventBridge
        // does not retry the delivery, and Lambda does not retry a failed asynchronous run (its default is 2).
        fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: period });
        // Events EventBridge could not deliver at all (throttling, a missing permission) land here.
        const undelivered = new sqs.Queue(this, `${name}Undelivered`, {
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          retentionPeriod: Duration.days(4),
        });
        Validations.of(undelivered).acknowledge({
          id: 'AwsSolutions-SQS3',
          reason:
            'This queue is itself the dead-letter queue of the EventBridge schedule target; its depth is alarmed ' +
            'and nothing consumes it.',
        });
        this.schedules.set(
          key,
          new events.Rule(this, `${name}Schedule`, {
            description: `Runs functions/${key}.ts every ${job.scheduleRateMinutes} minutes`,
            schedule: events.Schedule.rate(period),
            targets: [new targets.LambdaFunction(fn, { retryAttempts: 0, deadLetterQueue: undelivered })],
          }),
        );
        this.alarms.push(
          deadLetterAlarm(
            this,
            `${name}UndeliveredAlarm`,
            undelivered,
            `EventBridge could not start functions/${key}.ts (events in its dead-letter queue)`,
            period,
          ),
        );
        // Overlapping runs are safe (rows are claimed FOR UPDATE SKIP LOCKED and re-checked under the row lock)
        // and counted: the function's ConcurrentExecutions maximum above 1 is an overlap. Overlap in three periods
        // in a row means runs take longer than the schedule's period.
        this.alarms.push(
          thresholdAlarm(this, `${name}Overlap`, {
            alarmDescription: `functions/${key}.ts runs overlapped in 3 periods in a row (safe, but runs outlast the period)`,
            metric: fn.metric('ConcurrentExecutions', { period, statistic: cloudwatch.Stats.MAXIMUM }),
            threshold: 2,
            evaluationPeriods: 3,
          }),
        );
        this.alarms.push(
          thresholdAlarm(this, `${name}Errors`, {
            alarmDescription: `functions/${key}.ts failed on two runs in a row`,
            metric: fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
            threshold: 1,
            evaluationPeriods: 2,
          }),
          ...reportedMetricAlarms(this, name, key, job.alarmOnMetrics, period),
        );
      }
      if (job.runOnDeploy) {
        this.deployTriggers.set(
          key,
          new triggers.Trigger(this, `${name}OnDeploy`, {
            handler: fn,
            executeAfter: props.runAfter,
            executeBefore: props.runBefore,
            executeOnHandlerChange: true,
            invocationType: triggers.InvocationType.REQUEST_RESPONSE,
            timeout: Duration.seconds(job.timeoutSeconds),
          }),
        );
      }
    }
  }
}
