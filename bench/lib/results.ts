import type { CallCount } from './calls.ts';
import type { FunctionKind } from './functions.ts';
import type { LatencyResult } from './latency.ts';
import type { ProfileBucket } from './profile.ts';
import type { Summary } from './stats.ts';
import type { LoadResult } from './throughput.ts';

/** The shape of bench/results.json (everything REPORT.md is rendered from). */
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
  holdsTokens: boolean;
  bytes: number;
  gzipBytes: number;
  budgetBytes: number | null;
  withinBudget: boolean | null;
}

export interface ImportChainRow {
  pkg: string;
  bytes: number;
  /** Entry file → project files → packages, as esbuild resolved them. */
  chain: string[];
}

export interface WhatIfRow {
  key: string;
  variant: string;
  bytes: number;
}

export interface InitRow {
  key: string;
  label: string;
  kind: FunctionKind | 'baseline' | 'what-if' | 'part';
  bytes: number;
  runs: number;
  initMs: Summary;
  rssMb: number;
  ratioToBaseline: number;
  target: number | null;
  met: boolean | null;
  error?: string;
}

export interface RefreshResult {
  due: number;
  refreshed: number;
  errors: number;
  transient: number;
  skipped: number;
  durationMs: number;
  tokenLatencyMs: number;
  concurrency: number;
  batchSize: number;
  rowsPerSecond: number;
  boundRowsPerSecond: number;
  ratio: number;
  tokenCalls: number;
  roundTripsPerRow: number;
  kmsPerRow: { generateDataKey: number; decrypt: number };
  warmupRows: number;
  /** Bench-process CPU per refreshed row, and the CPU-bound ceiling it implies on one core. */
  cpuMsPerRow: number;
  cpuBoundRowsPerSecond: number;
  /** Of which the vault (one open + one seal with the KMS keyring, fake KMS's side included). */
  vaultCpuMsPerRow: number;
  profile: ProfileBucket[];
  profiledRows: number;
  eventLoopUtilization: number;
  /** One worker, no token latency: what a row costs besides the token endpoint's wait, without queueing. */
  serialRows: number;
  serialMsPerRow: number;
  /** concurrency ÷ (token latency + serialMsPerRow): the best 8 workers can do with perfect overlap. */
  serialLimitRowsPerSecond: number;
}

export interface TargetRow {
  id: string;
  target: string;
  measured: string;
  met: boolean;
  why?: string;
  fix?: string;
}

export interface Results {
  generatedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  settings: {
    initRuns: number;
    latencyIterations: number;
    latencyWarmup: number;
    loadConnections: number;
    loadDurationSeconds: number;
    refreshDue: number;
    tokenLatencyMs: number;
    logLevel: string;
  };
  bundles: {
    buildSeconds: number;
    baselineBytes: number;
    functions: BundleRow[];
    composition: Record<string, Array<{ name: string; bytes: number }>>;
    chains: Record<string, ImportChainRow[]>;
    whatIf: WhatIfRow[];
  };
  init: { runs: number; baseline: InitRow; functions: InitRow[] };
  latency: LatencyResult[];
  throughput: LoadResult & { connections: number; seededRowsPerTenant: number };
  refresh: RefreshResult;
  calls: CallCount[];
  targets: TargetRow[];
}
