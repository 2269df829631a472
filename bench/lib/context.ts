/** What every section of the bench gets: its settings, a scratch directory, the progress log. */
export interface Settings {
  initRuns: number;
  latencyIterations: number;
  latencyWarmup: number;
  soakConnections: number;
  soakSeconds: number;
  refreshDue: number;
  tokenLatencyMs: number;
  fanoutTokenLatencyMs: number;
  fanoutRowsPerWorker: number;
  seededRowsPerTenant: number;
  documentSizesMiB: number[];
  webhookEvents: number;
}

export interface BenchContext {
  settings: Settings;
  workDir: string;
  log: (line: string) => void;
  quick: boolean;
}
