import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { Operations } from '../../infra/constructs/operations.ts';
import { stageConfig } from '../../infra/stage.ts';
import type { Resources } from './support/synth.ts';

/** The Operations construct on its own (no bundling): what other constructs get by just existing in the stack. */
function stackWith(alarmEmail?: string) {
  const app = new App();
  const stack = new Stack(app, 'OpsOnly');
  new Operations(stack, 'Operations', { alarmEmail });
  return stack;
}

describe('Operations', () => {
  it('subscribes the stage setting alarmEmail to the alarm topic', () => {
    const template = Template.fromStack(stackWith('ops@example.com'));
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    Template.fromStack(stackWith()).resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('reads alarmEmail from the stage settings and refuses a malformed one', () => {
    expect(stageConfig('dev', undefined, 'ops@example.com').alarmEmail).toBe('ops@example.com');
    expect(stageConfig('dev').alarmEmail).toBeUndefined();
    expect(() => stageConfig('dev', undefined, 'not an email')).toThrow(/alarmEmail/);
  });

  it('notifies alarms and watches dead-letter queues that other constructs add, in any order', () => {
    const stack = stackWith();
    const dlq = new sqs.Queue(stack, 'WorkerDlq');
    new sqs.Queue(stack, 'Work', { deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } });
    new cloudwatch.Alarm(stack, 'Later', {
      metric: new cloudwatch.Metric({ namespace: 'X', metricName: 'Y' }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    const json = Template.fromStack(stack).toJSON();
    const alarms = Object.entries(json.Resources as Resources).filter(
      ([, r]) => r.Type === 'AWS::CloudWatch::Alarm',
    );
    const [topicId] = Object.entries(json.Resources as Resources).find(
      ([, r]) => r.Type === 'AWS::SNS::Topic',
    )!;
    expect(alarms).toHaveLength(2);
    for (const [, alarm] of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    const dlqAlarm = alarms.find(([, a]) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(JSON.stringify(dlqAlarm?.[1].Properties.Dimensions)).toContain('WorkerDlq');
  });
});
