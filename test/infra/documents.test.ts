import { describe, expect, it } from 'vitest';
import { jobs } from '#functions/jobs';
import { routeEntries } from '#functions/routes';
import { workers } from '#functions/workers';
import { DOCUMENT_QUEUE_MAX_RECEIVES, PROCESSING_EXPIRY_SECONDS } from '#shared/documents/limits';
import { ENTRY_TAG } from '../../infra/constructs/backend-function.ts';
import { beforeAllStages, functionFor, functionStatements } from './support/stages.ts';
import {
  asArray,
  type Json,
  PROD_FRONTEND_URL,
  refTarget,
  resourcesOfType,
  type Synthesized,
  statementsOfRole,
  tagValue,
} from './support/synth.ts';

/** The document store in the synthesized template: bucket, queue, worker and the grants of each capability. */
let dev: Synthesized;
let prod: Synthesized;
beforeAllStages((s) => ({ dev, prod } = s));

const s3Statements = (json: Json, key: string): Json[] =>
  functionStatements(json, key).filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('s3:')));
/** The document store's bucket (the stack also has the web app's site and log buckets). */
const documentsBucket = (json: Json): [string, Json] => {
  const found = resourcesOfType(json, 'AWS::S3::Bucket').filter(([id]) => id.startsWith('DocumentsBucket'));
  expect(found, 'DocumentsBucket').toHaveLength(1);
  return found[0]!;
};
const bucketId = (json: Json) => documentsBucket(json)[0];
/** `arn:…:bucket/users/*` as CloudFormation writes it: Fn::Join of the bucket's Arn and the suffix. */
const objectsUnder = (resource: Json): [string | undefined, string] => {
  const parts = resource['Fn::Join'][1] as Json[];
  return [refTarget(parts[0]), parts[1]];
};

describe('document bucket', () => {
  it('is private, encrypted, TLS only, and cleans up never-completed multipart uploads after a day', () => {
    const [id, bucket] = documentsBucket(dev.json);
    const p = bucket.Properties;
    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(
      p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm,
    ).toBe('AES256');
    expect(p.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        Status: 'Enabled',
      }),
    );
    const policies = resourcesOfType(dev.json, 'AWS::S3::BucketPolicy').filter(
      ([, p]) => refTarget(p.Properties.Bucket) === id,
    );
    expect(policies).toHaveLength(1);
    const [, policy] = policies[0]!;
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('admits browser POSTs and GETs from the web app origin only', () => {
    const rules = documentsBucket(prod.json)[1].Properties.CorsConfiguration.CorsRules;
    expect(rules).toHaveLength(1);
    expect(rules[0].AllowedOrigins).toEqual([PROD_FRONTEND_URL]);
    expect(rules[0].AllowedMethods.sort()).toEqual(['GET', 'HEAD', 'POST']);
  });

  it('sends object-created events under users/ to the queue, which admits only this bucket', () => {
    const [, bucket] = documentsBucket(dev.json);
    const queues = bucket.Properties.NotificationConfiguration.QueueConfigurations;
    expect(queues).toHaveLength(1);
    expect(queues[0].Event).toBe('s3:ObjectCreated:*');
    expect(queues[0].Filter.S3Key.Rules).toEqual([{ Name: 'prefix', Value: 'users/' }]);
    const queueId = refTarget(queues[0].Queue)!;
    const policies = resourcesOfType(dev.json, 'AWS::SQS::QueuePolicy').filter(([, p]) =>
      p.Properties.Queues.some((q: Json) => refTarget(q) === queueId),
    );
    expect(policies).toHaveLength(1);
    const send = policies[0]![1].Properties.PolicyDocument.Statement.find(
      (s: Json) => s.Principal?.Service === 's3.amazonaws.com',
    );
    expect(send.Action).toBe('sqs:SendMessage');
    expect(send.Condition.ArnEquals['aws:SourceArn']).toBeDefined();
    expect(bucket.DependsOn).toContain(policies[0]![0]);
  });
});

/** The document queue's properties: the queue the worker's event source mapping reads. */
function documentQueue(json: Json): Json {
  const [workerId] = functionFor(json, 'documents/worker');
  const mappings = resourcesOfType(json, 'AWS::Lambda::EventSourceMapping').filter(
    ([, m]) => refTarget(m.Properties.FunctionName) === workerId,
  );
  expect(mappings).toHaveLength(1);
  return json.Resources[refTarget(mappings[0]![1].Properties.EventSourceArn)!].Properties;
}

describe('document queue and worker', () => {
  it('has a DLQ (alarmed) and a visibility timeout above the worker timeout', () => {
    const [workerId, worker] = functionFor(dev.json, 'documents/worker');
    expect(worker.Properties.Timeout).toBe(workers['documents/worker'].timeoutSeconds);
    expect(worker.Properties.MemorySize).toBe(workers['documents/worker'].memoryMb);
    const mappings = resourcesOfType(dev.json, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => refTarget(m.Properties.FunctionName) === workerId,
    );
    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0]!;
    expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const queue = documentQueue(dev.json);
    expect(queue.VisibilityTimeout).toBeGreaterThan(worker.Properties.Timeout);
    const dlqId = refTarget(queue.RedrivePolicy.deadLetterTargetArn)!;
    expect(queue.RedrivePolicy.maxReceiveCount).toBe(DOCUMENT_QUEUE_MAX_RECEIVES);
    const alarms = resourcesOfType(dev.json, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
      (a.Properties.Dimensions ?? []).some((d: Json) => refTarget(d.Value) === dlqId),
    );
    expect(alarms).toHaveLength(1);
  });

  it('the worker reads and writes objects under users/* only, and nothing else in S3', () => {
    const statements = s3Statements(dev.json, 'documents/worker');
    expect(statements).toHaveLength(1);
    expect(asArray<string>(statements[0].Action).sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:GetObject',
      's3:PutObject',
    ]);
    expect(objectsUnder(statements[0].Resource)).toEqual([bucketId(dev.json), '/users/*']);
  });
});

describe('document capabilities: exactly the S3 actions each needs, under users/* only', () => {
  const expected: Record<string, string[]> = {
    'documents-upload': ['s3:PutObject'],
    'documents-read': ['s3:GetObject'],
    'documents-delete': ['s3:DeleteObject', 's3:ListBucket'],
    'documents-delete-object': ['s3:DeleteObject'],
  };
  it.each(routeEntries())('%s', (key, def) => {
    const caps = def.capabilities as readonly string[];
    const actions = s3Statements(dev.json, key)
      .flatMap((s) => asArray<string>(s.Action))
      .sort();
    expect(actions).toEqual(caps.flatMap((c) => expected[c] ?? []).sort());
    for (const s of s3Statements(dev.json, key)) {
      if (asArray<string>(s.Action).includes('s3:ListBucket')) {
        expect(refTarget(s.Resource)).toBe(bucketId(dev.json));
        expect(s.Condition).toEqual({ StringLike: { 's3:prefix': ['users/*'] } });
      } else {
        expect(objectsUnder(s.Resource)).toEqual([bucketId(dev.json), '/users/*']);
      }
    }
  });

  it('imports: the worker may open the token vault and read the provider credentials; it sends to no queue', () => {
    const [, worker] = functionFor(dev.json, 'documents/worker');
    const env = Object.keys(worker.Properties.Environment.Variables);
    expect(env).toEqual(
      expect.arrayContaining([
        'DB_SECRET_ARN',
        'DOCUMENTS_BUCKET',
        'TOKEN_VAULT_KMS_KEY_ARN',
        'PROVIDER_SECRET_ARN',
      ]),
    );
    expect(env).not.toContain('DOCUMENTS_QUEUE_URL');
    const statements = statementsOfRole(dev.json, refTarget(worker.Properties.Role)!);
    const kms = statements.filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('kms:')));
    expect(kms.flatMap((s) => asArray<string>(s.Action)).sort()).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
    ]);
    for (const s of kms) expect(JSON.stringify(s.Condition)).toContain('cloud-storage-tokens');
    expect(statements.some((s) => asArray<string>(s.Action).some((a) => a.startsWith('sqs:Send')))).toBe(
      false,
    );
  });

  it('only the import route sends to the document queue, with SendMessage on that queue alone', () => {
    // The document worker's mapping (the refresh worker has its own queue).
    const [workerId] = functionFor(dev.json, 'documents/worker');
    const [, mapping] = resourcesOfType(dev.json, 'AWS::Lambda::EventSourceMapping').find(
      ([, m]) => refTarget(m.Properties.FunctionName) === workerId,
    )!;
    const queueId = refTarget(mapping.Properties.EventSourceArn)!;
    const senders = resourcesOfType(dev.json, 'AWS::Lambda::Function').filter(([, f]) =>
      statementsOfRole(dev.json, refTarget(f.Properties.Role)!).some(
        (s) =>
          asArray<string>(s.Action).some((a) => a === 'sqs:SendMessage' || a === 'sqs:*') &&
          asArray<Json>(s.Resource).some((r) => refTarget(r) === queueId),
      ),
    );
    expect(senders.map(([, f]) => tagValue(f, ENTRY_TAG))).toEqual(['brand-voice-assets/import']);
    const [, route] = functionFor(dev.json, 'brand-voice-assets/import');
    const sends = statementsOfRole(dev.json, refTarget(route.Properties.Role)!).filter((s) =>
      asArray<string>(s.Action).some((a) => a.startsWith('sqs:')),
    );
    expect(sends).toHaveLength(1);
    expect(asArray<string>(sends[0].Action)).toEqual(['sqs:SendMessage']);
    expect(refTarget(sends[0].Resource)).toBe(queueId);
    expect(refTarget(route.Properties.Environment.Variables.DOCUMENTS_QUEUE_URL)).toBe(queueId);
  });
});

describe('the document sweep (uploads never completed, documents whose queue message was dead-lettered)', () => {
  it('ends a stalled document only once every delivery of its message is over, and runs well inside that bound', () => {
    const queue = documentQueue(dev.json);
    // Every delivery, each redelivered after the visibility timeout, and an hour of backlog on top.
    expect(PROCESSING_EXPIRY_SECONDS).toBeGreaterThanOrEqual(
      queue.VisibilityTimeout * queue.RedrivePolicy.maxReceiveCount + 3600,
    );
    const [sweepId] = functionFor(dev.json, 'documents/sweep-uploads');
    const rules = resourcesOfType(dev.json, 'AWS::Events::Rule').filter(([, r]) =>
      r.Properties.Targets.some((t: Json) => refTarget(t.Arn) === sweepId),
    );
    expect(rules.map(([, r]) => r.Properties.ScheduleExpression)).toEqual([
      `rate(${jobs['documents/sweep-uploads'].scheduleRateMinutes} minutes)`,
    ]);
    expect(jobs['documents/sweep-uploads'].scheduleRateMinutes * 60 * 4).toBeLessThanOrEqual(
      PROCESSING_EXPIRY_SECONDS,
    );
  });

  it('runs as the refresher database role and nothing else: no queue, no document store, no vault', () => {
    expect(jobs['documents/sweep-uploads'].capabilities).toEqual(['refresher-db']);
    const [, sweep] = functionFor(dev.json, 'documents/sweep-uploads');
    const env = sweep.Properties.Environment.Variables;
    expect(env.REFRESHER_DB_SECRET_ARN).toBeDefined();
    for (const name of [
      'DB_SECRET_ARN',
      'DOCUMENTS_QUEUE_URL',
      'DOCUMENTS_BUCKET',
      'TOKEN_VAULT_KMS_KEY_ARN',
    ])
      expect(env[name], name).toBeUndefined();
    const actions = functionStatements(dev.json, 'documents/sweep-uploads').flatMap((st) =>
      asArray<string>(st.Action),
    );
    expect(actions.filter((a) => /^(sqs|s3|kms):/.test(a))).toEqual([]);
  });
});
