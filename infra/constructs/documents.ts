import { Aws, Duration, Names, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { WorkerDef } from '#functions/workers';
import { DOCUMENT_QUEUE_MAX_RECEIVES } from '#shared/documents/limits';
import { thresholdAlarm, workerErrorsAlarm } from './alarms.ts';
import type { BackendFunction } from './backend-function.ts';
import { workerQueue } from './worker-queue.ts';

/** Key prefix of every user's objects (shared/documents/keys.ts): grants never reach beyond it. */
export const DOCUMENTS_USERS_PREFIX = 'users/';

/** What a function may do in the document store (one capability each, see functions/route-types.ts). */
export type DocumentAccess = 'upload' | 'read' | 'delete' | 'delete-object' | 'worker';

export interface DocumentStoreProps {
  /** Stage name, part of the bucket's name (which must be known before the bucket exists, see below). */
  readonly stageName: string;
  /** The web app's origin: the only origin the bucket's CORS rule admits (browser POSTs and GETs). */
  readonly frontendUrl: string;
  readonly removalPolicy: RemovalPolicy;
  /** The worker's timeout: the queue's visibility timeout is six times it (AWS's guidance for SQS sources). */
  readonly workerTimeout: Duration;
}

/**
 * The document store: one private bucket for the originals (`users/{userId}/…`), its object-created
 * notifications on an SQS queue with a dead-letter queue and an alarm, and the grants each capability gets.
 */
export class DocumentStore extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: DocumentStoreProps) {
    super(scope, id);
    // A fixed name: the queue policy must name the bucket before the bucket (whose notification configuration
    // needs that policy) exists; a name built from pseudo parameters breaks the cycle without CDK's
    // notification custom resource (a Python Lambda).
    const bucketName = `brand-cloud-${props.stageName}-documents-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: false,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        // Multipart uploads (imports streamed by the worker) that never completed are removed after a day.
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      cors: [
        {
          allowedOrigins: [props.frontendUrl],
          allowedMethods: [s3.HttpMethods.POST, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
    });

    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workerQueue(this, {
      workerTimeout: props.workerTimeout,
      retentionPeriod: Duration.days(4),
      // The worker ends an import that keeps failing transiently on the last delivery (shared/documents/limits.ts).
      maxReceiveCount: DOCUMENT_QUEUE_MAX_RECEIVES,
    }));
    const sendFromBucket = this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ObjectCreatedFromDocumentBucket',
        principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: {
          ArnEquals: { 'aws:SourceArn': `arn:${Aws.PARTITION}:s3:::${bucketName}` },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.notificationConfiguration = {
      queueConfigurations: [
        {
          event: 's3:ObjectCreated:*',
          queue: this.queue.queueArn,
          filter: { s3Key: { rules: [{ name: 'prefix', value: DOCUMENTS_USERS_PREFIX }] } },
        },
      ],
    };
    if (sendFromBucket.policyDependable) cfnBucket.node.addDependency(sendFromBucket.policyDependable);
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Objects are reached only through presigned URLs signed by the functions (each request is logged by the ' +
        "function that signs it); S3 data events in CloudTrail are the operator's choice per account.",
    });

    this.alarms.push(
      // The dead-letter queue's depth alarm comes from the Operations aspect (every DLQ gets one).
      thresholdAlarm(this, 'BacklogAlarm', {
        alarmDescription: 'Document notifications have waited over 15 minutes (the worker is not keeping up)',
        metric: this.queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 15 * 60,
        evaluationPeriods: 2,
      }),
    );
  }

  private objects(): string {
    return this.bucket.arnForObjects(`${DOCUMENTS_USERS_PREFIX}*`);
  }

  /** The import route queues jobs for the worker: DOCUMENTS_QUEUE_URL and SendMessage on that queue only. */
  public grantImport(fn: BackendFunction): void {
    fn.addEnvironment('DOCUMENTS_QUEUE_URL', this.queue.queueUrl);
    fn.bindStatements('DocumentsImport', [
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    ]);
  }

  /** DOCUMENTS_BUCKET and exactly the S3 actions `access` needs, on `users/*` only. */
  public grant(fn: BackendFunction, access: DocumentAccess): void {
    fn.addEnvironment('DOCUMENTS_BUCKET', this.bucket.bucketName);
    const statements: iam.PolicyStatement[] = [];
    switch (access) {
      case 'upload': // signs presigned POSTs: the POST is authorised as a PutObject of this role
        statements.push(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.objects()] }));
        break;
      case 'read': // signs presigned GETs
        statements.push(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.objects()] }));
        break;
      case 'delete':
        statements.push(
          new iam.PolicyStatement({
            actions: ['s3:ListBucket'],
            resources: [this.bucket.bucketArn],
            conditions: { StringLike: { 's3:prefix': [`${DOCUMENTS_USERS_PREFIX}*`] } },
          }),
          new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: [this.objects()] }),
        );
        break;
      case 'delete-object': // one asset's original, by its key: no listing
        statements.push(
          new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: [this.objects()] }),
        );
        break;
      // Reads originals; writes imported ones (multipart, aborted on failure); deletes a copy whose asset was
      // deleted while it was being made.
      case 'worker':
        statements.push(
          new iam.PolicyStatement({
            actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
            resources: [this.objects()],
          }),
        );
        break;
    }
    const name = access.replace(/(^|-)(\w)/g, (_, _dash: string, c: string) => c.toUpperCase());
    fn.bindStatements(`Documents${name}`, statements);
    const stack = Stack.of(this);
    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    // The bucket ARN as cdk-nag sees it in the role's template: a GetAtt in this stack; in a nested stack (the
    // route functions) the parameter CDK's cross-stack references create, `reference-to-<unique id><attribute>`.
    const bucketArn =
      Stack.of(fn.executionRole) === stack
        ? `${stack.resolve(stack.getLogicalId(cfnBucket))}.Arn`
        : `referenceto${Names.nodeUniqueId(cfnBucket.node)}Arn`;
    Validations.of(fn.executionRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketArn}>/users/*]`,
      reason:
        'Objects are per user under users/{sub}/; IAM cannot tie a request to the Cognito sub, so the functions ' +
        'derive the key from the token and the presigned POST policy fixes it. The grant stops at users/.',
    });
  }

  /** The worker consumes the queue: partial batch failures, bounded batches, and its own grants. */
  public addWorker(fn: BackendFunction, def: WorkerDef): void {
    this.grant(fn, 'worker');
    fn.addEventSource(
      new lambdaEvents.SqsEventSource(this.queue, {
        batchSize: def.batchSize,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        maxConcurrency: 10,
      }),
    );
    this.alarms.push(
      workerErrorsAlarm(
        this,
        'WorkerErrors',
        fn,
        'The document worker failed invocations (not documents: those end as failed assets)',
      ),
    );
  }
}
