import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct, type IConstruct } from 'constructs';
import type { JobDef } from '#functions/jobs';
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
 * rate (no retries: the next run is minutes away) and alarms on failed runs and on `alarmOnMetrics`; `runOnDeploy` → a CDK Trigger invoked synchronously during the
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
        this.schedules.set(
          key,
          new events.Rule(this, `${name}Schedule`, {
            description: `Runs functions/${key}.ts every ${job.scheduleRateMinutes} minutes`,
            schedule: events.Schedule.rate(Duration.minutes(job.scheduleRateMinutes)),
            targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
          }),
        );
        const period = Duration.minutes(job.scheduleRateMinutes);
        this.alarms.push(
          new cloudwatch.Alarm(this, `${name}Errors`, {
            alarmDescription: `functions/${key}.ts failed on two runs in a row`,
            metric: fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
            threshold: 1,
            evaluationPeriods: 2,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
        );
        for (const metricName of job.alarmOnMetrics?.names ?? []) {
          const { namespace, service } = job.alarmOnMetrics!;
          this.alarms.push(
            new cloudwatch.Alarm(this, `${name}${metricName}`, {
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
