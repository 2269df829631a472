import type { CallCount } from './calls.ts';
import type { FunctionKind } from './functions.ts';
import type { LatencyResult } from './latency.ts';
import type { InitProfile } from './sections/init-profile.ts';
import type { Summary } from './stats.ts';
import type { LoadResult } from './throughput.ts';

/** The shape of bench/results.json (everything REPORT.md and chart.svg are rendered from). */
export interface MachineInfo {
  node: string;
  v8: string;
  platform: string;
  arch: string;
  cpuCount: number;
  cpuModel: string;
  memoryGb: number;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
}

export interface BundleRow {
  key: string;
  label: string;
  kind: FunctionKind;
  /** Size of asset.<hash>/index.mjs in cdk.out; null when the stack builds no function for the entry. */
  bytes: number | null;
  gzipBytes: number | null;
  asset: string | null;
  budgetBytes: number | null;
  withinBudget: boolean | null;
}

export interface InitRow {
  key: string;
  label: string;
  kind: FunctionKind | 'baseline' | 'reference';
  bytes: number | null;
  runs: number;
  initMs: Summary;
  /** The process's CPU time (user + system) until the import had finished. */
  cpuMs: Summary;
  rssMb: number;
  ratioToBaseline: number;
  /** CPU p50 ÷ the baseline's CPU p50: the same ratio, insensitive to other load on the machine. */
  cpuRatioToBaseline: number;
  /** The same bundle imported by a bare Node process (no runtime client), against the bare empty handler. */
  bare: { initMs: Summary; cpuMs: Summary; ratioToBaseline: number };
  target: number | null;
  met: boolean | null;
  error?: string;
}

export interface WorkerRun {
  rows: number;
  refreshed: number;
  other: Record<string, number>;
  durationMs: number;
  tokenLatencyMs: number;
  concurrency: number;
  batchSize: number;
  invocations: number;
  rowsPerSecond: number;
  boundRowsPerSecond: number;
  ratio: number;
  /** Of one record alone (including the batch's pause read). */
  roundTripsPerRow: number;
  kmsPerRow: number;
  /** The worker process's CPU per refreshed row. */
  cpuMsPerRow: number;
  /**
   * Per refreshed row, in the run above: the slot time a record takes (the handler's wall time × records at once
   * ÷ rows, idle slots at a batch's end included) and what it waited for on its path (the token endpoint, KMS
   * Decrypt, the database; each timed around its call in the worker process, bench/lib/worker-steps.ts), the
   * rest being the worker's own code (the vault's crypto included) and idle slots. The new tokens' data key is
   * made while the token endpoint answers, so it is shown apart and not counted on the path.
   */
  slot: {
    slotMs: number;
    tokenMs: number;
    decryptMs: number;
    decryptCalls: number;
    dbMs: number;
    dbCalls: number;
    otherMs: number;
    dataKeyMs: number;
    dataKeyCalls: number;
  };
  /** The same run with SQS's default batch of 10 (the batch size before this round), for reference. */
  atDefaultBatch: {
    batchSize: number;
    refreshed: number;
    rowsPerSecond: number;
    ratio: number;
    slot: WorkerRun['slot'];
  };
  serialRows: number;
  /** The same steps of a record alone (token latency 0, one at a time, in the bench process with the fakes), per
   * row; `slotMs` is its whole time. */
  serial: WorkerRun['slot'];
  /** The statements of one record through the worker (one row, concurrency 1). */
  serialStatements: string[];
}

export interface FanoutRow {
  workers: number;
  rows: number;
  refreshed: number;
  other: Record<string, number>;
  durationMs: number;
  rowsPerSecond: number;
  boundRowsPerSecond: number;
  /** Throughput ÷ one worker's; efficiency = speedup ÷ workers. */
  speedup: number;
  efficiency: number;
  cpuMsPerRow: number;
}

export interface SoakResult extends LoadResult {
  connections: number;
  rss: Array<{ second: number; rssMb: number; heapUsedMb: number }>;
  rssFromSecond: number;
  rssFromMb: number;
  rssToMb: number;
  rssGrowth: number;
}

export interface DocumentRow {
  format: 'pdf' | 'docx';
  sizeMiB: number;
  fileBytes: number;
  ok: boolean;
  failureCode?: string;
  ms: number;
  mbPerSecond: number;
  textBytes: number;
  pages: number | null;
  rssBeforeMb: number;
  peakRssMb: number;
}

export type ImportResult =
  | {
      status: 'measured';
      fileBytes: number;
      assetStatus: string;
      durationMs: number;
      rssBeforeMb: number;
      rssPeakMb: number;
      rssGrowthMb: number;
      samples: number;
      note: string;
    }
  | { status: 'not measured'; reason: string };

export interface WebhookResult {
  events: number;
  /** Of the section's own events, delivered at least once within the wait. */
  delivered: number;
  /** Receipts of the section's own events beyond the first (at least once: receivers deduplicate on webhook-id). */
  duplicates?: number;
  /** Events of earlier sections the first pass delivered to the same receiver (not samples). */
  earlierEvents?: number;
  invalidSignatures: number;
  relayIntervalMs: number;
  /** The wait after the last commit: waitPeriods × relayIntervalMs (older runs: a fixed 30 s). */
  waitPeriods?: number;
  waitMs?: number;
  latencyMs: Summary;
}

export interface WebResult {
  files: Array<{ file: string; bytes: number; gzipBytes: number }>;
  bytes: number;
  gzipBytes: number;
}

export interface TargetRow {
  id: string;
  target: string;
  measured: string;
  /** The short figure of the summary table. */
  headline?: string;
  met: boolean;
  why?: string;
  fix?: string;
}

export interface Results {
  generatedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  settings: Record<string, number | number[] | string>;
  bundles: {
    synthSeconds: number;
    stackName: string;
    functions: BundleRow[];
    composition: Record<string, Array<{ name: string; bytes: number }>>;
  };
  init: {
    runs: number;
    runtime: string;
    /** aws-lambda-ric's version: the runtime interface client each init went through. */
    ricVersion: string;
    baseline: InitRow;
    /** The handler stack alone (bench/lib/floor.ts): a reference point, not a function of the stack. */
    reference: InitRow;
    functions: InitRow[];
    profile: InitProfile;
  };
  latency: LatencyResult[];
  soak: SoakResult;
  refresh: { worker: WorkerRun; fanout: FanoutRow[] };
  calls: CallCount[];
  documents: DocumentRow[];
  import: ImportResult;
  webhooks: WebhookResult;
  web: WebResult;
  targets: TargetRow[];
}
