import path from 'node:path';
import { runNodeForJson } from './child-json.ts';
import { REPO_ROOT } from './shipped.ts';

export interface LoadTenant {
  token: string;
  prefix: string;
  ids: string[];
}

export interface LoadResult {
  durationSeconds: number;
  requestsTotal: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  checks: {
    responses: number;
    okResponses: number;
    rowsChecked: number;
    crossTenantRows: number;
    foreignRows: number;
    unparsable: number;
    emptyLists: number;
  };
}

/** Runs bench/load-client.ts (autocannon) in a child process against the gateway at `url`. */
export function runLoad(
  url: string,
  tenants: [LoadTenant, LoadTenant],
  connections: number,
  durationSeconds: number,
  mix: 'reads' | 'mixed' = 'reads',
): Promise<LoadResult> {
  const plan = JSON.stringify({
    url,
    connections,
    durationSeconds,
    tenants,
    ...(mix === 'mixed' ? { mix } : {}),
  });
  return runNodeForJson<LoadResult>(
    'load client',
    ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'load-client.ts')],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, BENCH_LOAD_PLAN: plan },
    },
  );
}
