import { Aspects, type IAspect, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { deadLetterAlarm } from './alarms.ts';

export interface OperationsProps {
  /** Where alarm notifications go (a stage setting, `-c alarmEmail=…`); none: subscribe to the topic later. */
  readonly alarmEmail?: string;
}

/**
 * Makes every alarm notify: one SNS topic (plus an email subscription from the stage setting), and an aspect
 * that adds the topic as alarm and OK action to every CloudWatch alarm in the stack, whoever creates it, and an
 * alarm on the depth of every dead-letter queue (any SQS queue another queue redrives into). Other constructs
 * just create alarms and DLQs; they need not know about this one.
 */
export class Operations extends Construct {
  public readonly topic: sns.Topic;
  private readonly action: actions.SnsAction;
  private readonly notified = new WeakSet<cloudwatch.Alarm>();
  private readonly watchedQueues = new WeakSet<sqs.IQueue>();

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'brand-cloud alarms',
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and states only, no customer data. CloudWatch cannot publish to a ' +
        'topic encrypted with the AWS-managed SNS key; a customer-managed key would add cost for no protected data.',
    });
    if (props.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    this.action = new actions.SnsAction(this.topic);
    Aspects.of(scope).add(new NotifyEveryAlarm(this));
  }

  /** An alarm that notifies (created here or anywhere: the aspect adds the action either way). */
  public notify(alarm: cloudwatch.Alarm): void {
    if (this.notified.has(alarm)) return;
    this.notified.add(alarm);
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
  }

  /** Alarms as soon as one message waits in `queue` (a dead-letter queue: something failed for good). */
  public alarmOnDeadLetters(scope: Construct, id: string, queue: sqs.IQueue, what: string): cloudwatch.Alarm {
    this.watchedQueues.add(queue);
    const alarm = deadLetterAlarm(
      scope,
      id,
      queue,
      `${what}: messages in the dead-letter queue (inspect, fix, redrive)`,
    );
    this.notify(alarm);
    return alarm;
  }

  /** Called by the aspect for every construct: notifies alarms, watches dead-letter queues. */
  public visit(node: IConstruct): void {
    if (node instanceof cloudwatch.Alarm) this.notify(node);
    if (node instanceof sqs.Queue && node.deadLetterQueue) {
      const dlq = node.deadLetterQueue.queue;
      if (!this.watchedQueues.has(dlq)) {
        this.alarmOnDeadLetters(node, 'DeadLettersAlarm', dlq, node.node.path);
      }
    }
  }
}

class NotifyEveryAlarm implements IAspect {
  constructor(private readonly operations: Operations) {}
  public visit(node: IConstruct): void {
    this.operations.visit(node);
  }
}
