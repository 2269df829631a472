/**
 * Queue-driven functions: what the route table is for HTTP routes and the job table for scheduled jobs. The CDK
 * stack builds each like any other function (own bundle, own role, exactly the bindings its capabilities name)
 * and connects it to its queue, whose construct adds the queue's own grants.
 */
export type WorkerCapability =
  | 'db' // PostgreSQL as brand_app through RDS Proxy (writes through withTenant)
  | 'refresher-db' // PostgreSQL as brand_refresher (token and audit tables only), through RDS Proxy
  | 'vault' // the token vault key, with the vault's encryption context only
  | 'providers'; // the providers' OAuth client secret

export interface WorkerDef {
  summary: string;
  /** The queue it consumes (infra/constructs/documents.ts, infra/constructs/refresh-fanout.ts). */
  queue: 'documents' | 'token-refresh';
  capabilities: readonly WorkerCapability[];
  timeoutSeconds: number;
  memoryMb: number;
  /** Records per invocation at most (the SQS event source's batch size; over 10 it waits up to a second to fill). */
  batchSize: number;
  /**
   * Custom metrics (Powertools EMF, dimension `service`) that raise an alarm as soon as one is non-zero, on top of
   * the alarm every worker gets on its Lambda errors.
   */
  alarmOnMetrics?: { namespace: string; service: string; names: readonly string[] };
}

export const workers = {
  'documents/worker': {
    summary: 'Extracts the text of documents landing in the document store (S3 → SQS), or imports them',
    queue: 'documents',
    // Writes assets through withTenant; imports read the user's connected storage (token vault, provider credentials).
    capabilities: ['db', 'vault', 'providers'],
    // 60 s of extraction at most, plus the download of a 50 MiB original and the database writes.
    timeoutSeconds: 120,
    // pdf.js and mammoth hold the whole file and its text; more memory also means more CPU in Lambda.
    memoryMb: 2048,
    // Documents are extracted one after another; a small batch keeps one slow file from holding up many.
    batchSize: 5,
  },
  'token-refresh/worker': {
    summary:
      'Refreshes the provider tokens of the connection ids the refresh scheduler queued (SQS, 100 a batch)',
    queue: 'token-refresh',
    capabilities: ['refresher-db', 'vault', 'providers'],
    // Five rows at once (WORKER_CONCURRENCY), each at most a token-endpoint timeout (8 s) plus its database round
    // trips; records not started 20 s before the end go back to the queue (a provider that keeps timing out is
    // paused after five failures, so its further records come back at once instead of each waiting 8 s).
    timeoutSeconds: 60,
    memoryMb: 512,
    // A worker's slots stand idle while the last records of a batch finish, and every batch starts its records
    // together: per-batch costs that a batch of 10 paid every two records per slot. With 100, a slot runs twenty
    // records per invocation (bench/REPORT.md, section 4: throughput against the concurrency bound at this batch
    // size and at SQS's default of 10). At a typical token latency a batch takes a few seconds.
    batchSize: 100,
    // Vault/provider configuration failures (disabled key, AccessDenied, invalid client), the vault alarm (a seal
    // or open that failed), a rotated refresh token the vault could not keep, and unexpected errors.
    alarmOnMetrics: {
      namespace: 'BrandCloud',
      service: 'token-refresh',
      names: ['RefreshConfigErrors', 'RefreshVaultErrors', 'RefreshTokensLost', 'RefreshErrors'],
    },
  },
} as const satisfies Record<string, WorkerDef>;

export type WorkerKey = keyof typeof workers;
