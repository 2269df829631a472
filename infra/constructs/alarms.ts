import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { JobDef } from '#functions/jobs';
import type { StageConfig } from '../stage.ts';
import type { Api } from './api.ts';
import type { Database } from './database.ts';

export interface ServiceAlarmsProps {
  readonly api: Api;
  readonly database: Database;
  readonly settings: StageConfig['database'];
}

const FIVE_MINUTES = Duration.minutes(5);
const GIB = 1024 ** 3;

/**
 * The stack's alarm shapes, one home each (every alarm notifies through the Operations topic). An alarm here is
 * at or above its threshold, and a period without data is not breaching: no data means nothing happened.
 */
export function thresholdAlarm(
  scope: Construct,
  id: string,
  props: Omit<cloudwatch.AlarmProps, 'treatMissingData'>,
): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    ...props,
  });
}

/** As soon as one message waits in `queue` (a dead-letter queue: something failed for good). */
export function deadLetterAlarm(
  scope: Construct,
  id: string,
  queue: sqs.IQueue,
  description: string,
  period: Duration = FIVE_MINUTES,
): cloudwatch.Alarm {
  return thresholdAlarm(scope, id, {
    alarmDescription: description,
    metric: queue.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM }),
    threshold: 1,
    evaluationPeriods: 1,
  });
}

/** A queue consumer failed whole invocations 3 times in 5 minutes (their batches come back, or dead-letter). */
export function workerErrorsAlarm(
  scope: Construct,
  id: string,
  fn: lambda.IFunction,
  description: string,
): cloudwatch.Alarm {
  return thresholdAlarm(scope, id, {
    alarmDescription: description,
    metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
    threshold: 3,
    evaluationPeriods: 1,
  });
}

/** The custom metrics a job or worker table entry names (`alarmOnMetrics`), as they are reported. */
export type ReportedMetrics = NonNullable<JobDef['alarmOnMetrics']>;

/**
 * One alarm per metric in `metrics`, as soon as one is non-zero in a period: `${idPrefix}${metric name}`, said
 * of `functions/${entryKey}.ts`.
 */
export function reportedMetricAlarms(
  scope: Construct,
  idPrefix: string,
  entryKey: string,
  metrics: ReportedMetrics | undefined,
  period: Duration,
): cloudwatch.Alarm[] {
  if (!metrics) return [];
  const { namespace, service } = metrics;
  return metrics.names.map((metricName) =>
    thresholdAlarm(scope, `${idPrefix}${metricName}`, {
      alarmDescription: `functions/${entryKey}.ts reported ${metricName}`,
      metric: new cloudwatch.Metric({
        namespace,
        metricName,
        dimensionsMap: { service },
        period,
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
    }),
  );
}

/**
 * The service-level alarms (each notifies through the Operations topic, which every alarm in the stack gets):
 * API 5xx answers, RDS Proxy connections near its limit and session pinning (our queries never pin: the tenant
 * context is transaction-local), database CPU and free storage.
 */
export class ServiceAlarms extends Construct {
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const { api, database, settings } = props;
    const proxyMetric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName,
        dimensionsMap: { ProxyName: database.proxy.dbProxyName },
        period: FIVE_MINUTES,
        statistic,
      });
    const add = (name: string, props: Parameters<typeof thresholdAlarm>[2]) => {
      this.alarms.push(thresholdAlarm(this, name, props));
    };

    add('Api5xx', {
      alarmDescription:
        'The HTTP API answered 5xx at least 5 times in 5 minutes (functions failing or timing out)',
      metric: api.httpApi.metricServerError({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
      threshold: 5,
      evaluationPeriods: 1,
    });
    add('ProxyConnections', {
      alarmDescription: 'RDS Proxy uses 80 % or more of the database connections it may open, for 15 minutes',
      metric: new cloudwatch.MathExpression({
        expression: '100 * used / allowed',
        usingMetrics: {
          used: proxyMetric('DatabaseConnections', cloudwatch.Stats.MAXIMUM),
          allowed: proxyMetric('MaxDatabaseConnectionsAllowed', cloudwatch.Stats.MAXIMUM),
        },
        period: FIVE_MINUTES,
        label: 'Proxy database connections (% of allowed)',
      }),
      threshold: 80,
      evaluationPeriods: 3,
    });
    add('ProxyPinning', {
      alarmDescription:
        'RDS Proxy pinned sessions for 15 minutes: something sets session state (a session-level SET, an ' +
        'advisory lock, a prepared statement) and defeats connection multiplexing',
      metric: proxyMetric('DatabaseConnectionsCurrentlySessionPinned', cloudwatch.Stats.MAXIMUM),
      threshold: 1,
      evaluationPeriods: 3,
    });
    add('DatabaseCpu', {
      alarmDescription: 'Database CPU at 80 % or more for 15 minutes',
      metric: database.instance.metricCPUUtilization({
        period: FIVE_MINUTES,
        statistic: cloudwatch.Stats.AVERAGE,
      }),
      threshold: 80,
      evaluationPeriods: 3,
    });
    add('DatabaseStorage', {
      alarmDescription:
        `Database free storage under 10 % of the initial ${settings.allocatedStorageGb} GiB (storage autoscaling ` +
        `grows it up to ${settings.maxAllocatedStorageGb} GiB; this says it is being used)`,
      metric: database.instance.metricFreeStorageSpace({
        period: FIVE_MINUTES,
        statistic: cloudwatch.Stats.MINIMUM,
      }),
      threshold: Math.round(settings.allocatedStorageGb * 0.1 * GIB),
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    });
  }
}
