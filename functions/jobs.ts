import type { Capability } from '#shared/http/route';

/**
 * The non-HTTP functions: what the route table is for HTTP routes, this table is for scheduled and deploy-time
 * jobs. The CDK stack generates them exactly like route functions (one NodejsFunction per entry, least
 * privilege from the capabilities). The key is the entry file under functions/ without `.ts`.
 */
export type JobCapability =
  | Exclude<Capability, 'db'>
  | 'refresher-db' // PostgreSQL as brand_refresher (token and audit tables only), through RDS Proxy
  | 'migrations' // PostgreSQL as the owner, straight to the instance; the runtime roles' secrets; migrations/
  | 'event-bus' // PutEvents on the stage's event bus (infra/constructs/events.ts)
  | 'refresh-queue' // SendMessage on the stage's token-refresh queue (infra/constructs/refresh-fanout.ts)
  | 'webhooks'; // the stage's webhook URL, its signing secret and the dead-letter queue (infra/constructs/events.ts)

export interface JobDef {
  summary: string;
  capabilities: readonly JobCapability[];
  timeoutSeconds: number;
  memoryMb: number;
  /** Run on a fixed rate by an EventBridge rule. */
  scheduleRateMinutes?: number;
  /** Run on every deployment that changes the function (CDK Trigger), failing the deployment if it fails. */
  runOnDeploy?: boolean;
  /**
   * Custom metrics (Powertools EMF, dimension `service`) that raise an alarm as soon as one is non-zero, on top of
   * the alarm every scheduled job gets on its Lambda errors.
   */
  alarmOnMetrics?: { namespace: string; service: string; names: readonly string[] };
}

export const jobs = {
  'token-refresh/handler': {
    summary: 'Refresh scheduler: claims due connection ids and queues them for the refresh workers (SQS)',
    // No vault and no provider access: it only claims ids (the workers refresh them, functions/workers.ts).
    capabilities: ['refresher-db', 'refresh-queue'],
    // Shorter than the schedule's period, so runs do not pile up (overlap is still safe: leased claims).
    timeoutSeconds: 120,
    memoryMb: 256,
    scheduleRateMinutes: 5,
    // Claims whose ids SQS did not take (released, due again next run), and unexpected errors.
    alarmOnMetrics: {
      namespace: 'BrandCloud',
      service: 'token-refresh-scheduler',
      names: ['RefreshSendFailures', 'RefreshErrors'],
    },
  },
  'events/relay': {
    summary: 'Publishes the events outbox to the event bus and queues webhook deliveries (one at a time)',
    capabilities: ['refresher-db', 'event-bus'],
    // Polls for 45 s of each minute; reserved concurrency 1 (infra/constructs/events.ts).
    timeoutSeconds: 60,
    memoryMb: 256,
    scheduleRateMinutes: 1,
    alarmOnMetrics: { namespace: 'BrandCloud', service: 'event-relay', names: ['EventPublishFailures'] },
  },
  'events/webhooks': {
    summary: 'Delivers signed webhooks (Standard Webhooks), retries for 24 h, then dead-letters',
    capabilities: ['refresher-db', 'webhooks'],
    timeoutSeconds: 60,
    memoryMb: 256,
    scheduleRateMinutes: 1,
    alarmOnMetrics: { namespace: 'BrandCloud', service: 'webhooks', names: ['WebhooksDeadLettered'] },
  },
  'documents/sweep-uploads': {
    summary:
      'Marks uploads never completed within an hour as failed: upload_expired, and documents processing without progress for two hours (their queue message dead-lettered) as failed: timeout',
    capabilities: ['refresher-db'],
    timeoutSeconds: 60,
    memoryMb: 256,
    scheduleRateMinutes: 15,
  },
  'migrate/handler': {
    summary: 'Applies migrations/ as the owner role and sets the runtime roles passwords',
    capabilities: ['migrations'],
    timeoutSeconds: 300,
    memoryMb: 512,
    runOnDeploy: true,
  },
} as const satisfies Record<string, JobDef>;

export type JobKey = keyof typeof jobs;

export const jobEntries = (): Array<[JobKey, JobDef]> => Object.entries(jobs) as Array<[JobKey, JobDef]>;
