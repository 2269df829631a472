import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobs } from '#functions/jobs';
import { REFRESH_METRICS } from '#functions/token-refresh/metrics';
import { workers } from '#functions/workers';
import { WORKER_CONCURRENCY } from '#shared/cloud-storage/refresh-fanout';
import { stageConfig } from '../../infra/stage.ts';
import { beforeAllStages, envOf, functionFor, functionStatements } from './support/stages.ts';
import {
  asArray,
  type Json,
  PROD_FRONTEND_URL,
  refTarget,
  resourcesOfType,
  type Synthesized,
  statementsOfRole,
} from './support/synth.ts';

/**
 * The refresh fan-out as synthesized (issue 17 item 5): the scheduled function only sends ids to the refresh
 * queue; the SQS-triggered worker refreshes them with partial batch failures, a reserved concurrency per stage,
 * a dead-letter queue with its depth alarm, a visibility timeout above its timeout and least-privilege grants.
 */
let dev: Synthesized;
let prod: Synthesized;
beforeAllStages((s) => ({ dev, prod } = s));

const actionsOf = (statements: Json[], prefix: string): string[] =>
  statements.flatMap((s) => asArray<string>(s.Action)).filter((a) => a.startsWith(prefix));

/** The worker's event source mapping and the queue it reads. */
function workerQueue(json: Json): { mapping: Json; queueId: string; queue: Json } {
  const [workerId] = functionFor(json, 'token-refresh/worker');
  const mappings = resourcesOfType(json, 'AWS::Lambda::EventSourceMapping').filter(
    ([, m]) => refTarget(m.Properties.FunctionName) === workerId,
  );
  expect(mappings).toHaveLength(1);
  const mapping = mappings[0]![1];
  const queueId = refTarget(mapping.Properties.EventSourceArn)!;
  return { mapping, queueId, queue: json.Resources[queueId] };
}

describe('refresh queue and worker', () => {
  it.each(['dev', 'prod'] as const)(
    '%s: batches of the worker-table size (over 10: gathered for at most a second) with partial batch failures, at most the stage reserved concurrency at once',
    (stage) => {
      const s = stage === 'dev' ? dev : prod;
      const expected = stageConfig(
        stage,
        stage === 'prod' ? PROD_FRONTEND_URL : undefined,
      ).refreshWorkerConcurrency;
      expect(expected).toBeGreaterThanOrEqual(2);
      const [, worker] = functionFor(s.json, 'token-refresh/worker');
      expect(worker.Properties.ReservedConcurrentExecutions).toBe(expected);
      const { mapping } = workerQueue(s.json);
      const { batchSize, timeoutSeconds } = workers['token-refresh/worker'];
      expect(mapping.Properties.BatchSize).toBe(batchSize);
      expect(batchSize).toBe(100);
      // Lambda takes more than 10 records from a standard queue only with a batching window; a short one, so a
      // scheduler pass's messages reach the workers within a second.
      expect(mapping.Properties.MaximumBatchingWindowInSeconds).toBe(1);
      // The whole batch fits the worker's time budget at a typical token latency (five at once, 500 ms each),
      // with the 20 s reserve the worker keeps for records it hands back.
      expect((batchSize / WORKER_CONCURRENCY) * 0.5 + 20).toBeLessThan(timeoutSeconds);
      expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(mapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: expected });
    },
  );

  it('reserves more workers in prod than in dev', () => {
    expect(
      functionFor(prod.json, 'token-refresh/worker')[1].Properties.ReservedConcurrentExecutions,
    ).toBeGreaterThan(
      functionFor(dev.json, 'token-refresh/worker')[1].Properties.ReservedConcurrentExecutions,
    );
  });

  it('the queue: visibility timeout above the worker timeout, encrypted, TLS only, a dead-letter queue after 5 receives', () => {
    const [, worker] = functionFor(dev.json, 'token-refresh/worker');
    expect(worker.Properties.Timeout).toBe(workers['token-refresh/worker'].timeoutSeconds);
    expect(worker.Properties.MemorySize).toBe(workers['token-refresh/worker'].memoryMb);
    const { queueId, queue } = workerQueue(dev.json);
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThan(worker.Properties.Timeout);
    expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
    const policies = resourcesOfType(dev.json, 'AWS::SQS::QueuePolicy').filter(([, p]) =>
      asArray(p.Properties.Queues).some((q: Json) => refTarget(q) === queueId),
    );
    expect(JSON.stringify(policies.map(([, p]) => p.Properties.PolicyDocument))).toContain(
      '"aws:SecureTransport":"false"',
    );
  });

  it('the dead-letter queue has the depth alarm, and it notifies the operations topic', () => {
    const { queue } = workerQueue(dev.json);
    const dlqId = refTarget(queue.Properties.RedrivePolicy.deadLetterTargetArn)!;
    expect(dev.json.Resources[dlqId].Type).toBe('AWS::SQS::Queue');
    const alarms = resourcesOfType(dev.json, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
      (a.Properties.Dimensions ?? []).some((d: Json) => refTarget(d.Value) === dlqId),
    );
    expect(alarms).toHaveLength(1);
    const [, alarm] = alarms[0]!;
    expect(alarm.Properties.MetricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(alarm.Properties.Threshold).toBe(1);
    const [topicId] = resourcesOfType(dev.json, 'AWS::SNS::Topic')[0]!;
    expect(alarm.Properties.AlarmActions.map(refTarget)).toEqual([topicId]);
  });

  it('alarms on the worker errors and on the refresh metrics the worker table names (metrics it emits)', () => {
    const [workerId] = functionFor(dev.json, 'token-refresh/worker');
    const alarms = resourcesOfType(dev.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(
      alarms.some(
        (a) => a.MetricName === 'Errors' && a.Dimensions?.some((d: Json) => refTarget(d.Value) === workerId),
      ),
    ).toBe(true);
    const watched = workers['token-refresh/worker'].alarmOnMetrics;
    for (const name of watched.names) {
      expect(Object.values(REFRESH_METRICS)).toContain(name);
      expect(
        alarms.filter(
          (a) =>
            a.MetricName === name &&
            a.Namespace === watched.namespace &&
            a.Dimensions?.some((d: Json) => d.Name === 'service' && d.Value === watched.service),
        ),
        name,
      ).toHaveLength(1);
    }
    // The scheduler's own metrics are under another service name: no alarm is doubled.
    expect(jobs['token-refresh/handler'].alarmOnMetrics.service).not.toBe(watched.service);
  });
});

describe('refresh grants: least privilege on both sides of the queue', () => {
  it('only the scheduler may send to the queue, and it has nothing else but its database role', () => {
    const { queueId } = workerQueue(dev.json);
    const senders = resourcesOfType(dev.json, 'AWS::IAM::Role').filter(([roleId]) =>
      statementsOfRole(dev.json, roleId).some(
        (s) =>
          asArray<string>(s.Action).includes('sqs:SendMessage') &&
          asArray(s.Resource).some((r: Json) => refTarget(r) === queueId),
      ),
    );
    const [, scheduler] = functionFor(dev.json, 'token-refresh/handler');
    expect(senders.map(([id]) => id)).toEqual([refTarget(scheduler.Properties.Role)]);
    const statements = functionStatements(dev.json, 'token-refresh/handler');
    expect(actionsOf(statements, 'sqs:')).toEqual(['sqs:SendMessage']);
    expect(actionsOf(statements, 'kms:')).toEqual([]);
    const env = envOf(scheduler);
    expect(refTarget(env.REFRESH_QUEUE_URL)).toBe(queueId);
    expect(env.REFRESHER_DB_SECRET_ARN).toBeDefined();
    for (const name of ['TOKEN_VAULT_KMS_KEY_ARN', 'PROVIDER_SECRET_ARN', 'DB_SECRET_ARN']) {
      expect(env[name], name).toBeUndefined();
    }
  });

  it('the worker: refresher database role, vault key with the encryption context, provider secret, consume only', () => {
    const [, worker] = functionFor(dev.json, 'token-refresh/worker');
    const env = envOf(worker);
    expect(env.REFRESHER_DB_SECRET_ARN).toBeDefined();
    expect(env.TOKEN_VAULT_KMS_KEY_ARN).toBeDefined();
    expect(env.PROVIDER_SECRET_ARN).toBeDefined();
    expect(env.DB_SECRET_ARN).toBeUndefined();
    expect(env.REFRESH_QUEUE_URL).toBeUndefined();
    const statements = functionStatements(dev.json, 'token-refresh/worker');
    const kms = statements.filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('kms:')));
    expect(kms).toHaveLength(1);
    expect(kms[0].Condition.StringEquals['kms:EncryptionContext:purpose']).toBe('cloud-storage-tokens');
    const sqsActions = actionsOf(statements, 'sqs:');
    expect(sqsActions).not.toContain('sqs:SendMessage');
    expect(sqsActions).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
    const { queueId } = workerQueue(dev.json);
    for (const s of statements.filter((st) => asArray<string>(st.Action).some((a) => a.startsWith('sqs:')))) {
      expect(asArray(s.Resource).map(refTarget)).toEqual([queueId]);
    }
  });
});

describe('refresh bundles', () => {
  /** The sources the shipped bundle of `key` was built from (its source map in cdk.out). */
  const sourcesOf = (key: string): string[] => {
    const [, fn] = functionFor(dev.json, key);
    const asset = path.join(dev.dir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    const map = JSON.parse(readFileSync(path.join(asset, 'index.mjs.map'), 'utf8'));
    return (map.sources as string[]).map((source) => path.resolve(asset, source));
  };

  it('the worker is its own bundle, built from its own entry', () => {
    expect(sourcesOf('token-refresh/worker')).toContain(
      path.join(dev.sourceRoot, 'functions/token-refresh/worker.ts'),
    );
    expect(sourcesOf('token-refresh/worker')).not.toContain(
      path.join(dev.sourceRoot, 'functions/token-refresh/handler.ts'),
    );
  });
});
