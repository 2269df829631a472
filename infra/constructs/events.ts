import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { JobDef } from '#functions/jobs';
import { deadLetterAlarm } from './alarms.ts';
import type { BackendFunction } from './backend-function.ts';

export interface EventsInfraProps {
  /** The job table's functions: those with the `event-bus` and `webhooks` capabilities are bound here. */
  readonly jobs: ReadonlyArray<readonly [string, JobDef, BackendFunction]>;
  /** The app backend's webhook endpoint (`-c webhookUrl=https://…`); no webhooks are sent without one. */
  readonly webhookUrl?: string | undefined;
  readonly removalPolicy: RemovalPolicy;
}

/** A webhook URL must be https (http only for loopback, which never happens in AWS). */
export function validWebhookUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const url = new URL(raw);
  if (url.protocol !== 'https:') throw new Error(`webhookUrl must be https, got ${url.protocol}`);
  return url.toString();
}

/**
 * Lifecycle events leaving the system (ARCHITECTURE.md "Events and webhooks"): the stage's EventBridge custom
 * bus, the relay's right to put events on it (and only it), one relay at a time (reserved concurrency 1), and
 * for webhooks the signing secret (Secrets Manager, generated), the dead-letter queue for deliveries that
 * failed for 24 hours and an alarm as soon as it holds one. The relay and the deliverer themselves are job-table
 * entries (functions/jobs.ts), scheduled and alarmed like every job; this construct binds their `event-bus` and
 * `webhooks` capabilities (environment and IAM together, like BackendFunction's bindX helpers).
 */
export class EventsInfra extends Construct {
  public readonly bus: events.EventBus;
  public readonly webhookSecret: secretsmanager.Secret;
  public readonly deadLetters: sqs.Queue;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: EventsInfraProps) {
    super(scope, id);
    const withCapability = (capability: string) =>
      props.jobs.filter(([, def]) => (def.capabilities as readonly string[]).includes(capability));
    const publishers = withCapability('event-bus');
    const deliverers = withCapability('webhooks');
    if (publishers.length !== 1 || deliverers.length !== 1) {
      throw new Error('EventsInfra expects exactly one event-bus job (the relay) and one webhooks job');
    }
    const relay = publishers[0]![2];
    const deliverer = deliverers[0]![2];
    const webhookUrl = validWebhookUrl(props.webhookUrl);

    this.bus = new events.EventBus(this, 'Bus', {
      description: 'brand-cloud lifecycle events (source brand-cloud, detail-type = event type)',
    });
    relay.addEnvironment('EVENT_BUS_NAME', this.bus.eventBusName);
    this.bus.grantPutEventsTo(relay);
    // Events leave in order per connection because only one relay runs (the advisory lock makes it safe
    // anyway; this keeps a second one from even starting).
    (relay.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;

    this.webhookSecret = new secretsmanager.Secret(this, 'WebhookSecret', {
      description:
        'brand-cloud webhook signing secret (Standard Webhooks: whsec_ + this value); share with the receiver',
      // 48 base64-alphabet characters = a 36-byte key.
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'secret',
        excludePunctuation: true,
        passwordLength: 48,
      },
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.webhookSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The webhook signing secret is shared with the receiving backend; rotating it is a coordinated change on ' +
        'both sides (README, "Events and webhooks"), not an automatic rotation.',
    });
    this.deadLetters = new sqs.Queue(this, 'WebhookDeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of webhook deliveries; operators redrive from it.',
    });

    if (webhookUrl) {
      // The relay queues a delivery for each published event only where the stage has a webhook.
      relay.addEnvironment('WEBHOOK_URL', webhookUrl);
      deliverer.addEnvironment('WEBHOOK_URL', webhookUrl);
    }
    deliverer.addEnvironment('WEBHOOK_SECRET_ARN', this.webhookSecret.secretArn);
    deliverer.addEnvironment('WEBHOOK_DLQ_URL', this.deadLetters.queueUrl);
    // GetSecretValue only (grantRead would add DescribeSecret): what the code calls, nothing more.
    deliverer.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.webhookSecret.secretArn],
      }),
    );
    this.deadLetters.grantSendMessages(deliverer);
    (deliverer.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;

    this.alarms.push(
      deadLetterAlarm(
        this,
        'WebhookDeadLettersAlarm',
        this.deadLetters,
        'A webhook delivery failed for 24 hours and was dead-lettered (redrive from the queue)',
      ),
    );
  }
}
