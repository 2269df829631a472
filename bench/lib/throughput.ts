import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './bundles.ts';

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
): Promise<LoadResult> {
  const plan = JSON.stringify({ url, connections, durationSeconds, tenants });
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'load-client.ts')],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, BENCH_LOAD_PLAN: plan },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) {
        reject(new Error(`load client failed (exit ${code}): ${err.trim().slice(0, 500)}`));
        return;
      }
      resolve(JSON.parse(line) as LoadResult);
    });
  });
}
