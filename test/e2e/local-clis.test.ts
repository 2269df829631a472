/**
 * `npm run migrate`, `refresh` and `vault:rotate` as a developer runs them: against the running `npm start`'s
 * database (found through .local/run.json), on their own when nothing runs, or with a plain reason why not.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '#local/ports';
import { devEnv, leftovers, npm, ownLines, processesOf, repoRoot, startNpm } from '../support/npm-start.ts';

const stateDir = mkdtempSync(path.join(os.tmpdir(), 'brand-clis-'));
const lastMigration = readdirSync(path.join(repoRoot, 'migrations'))
  .filter((f) => f.endsWith('.up.sql'))
  .sort()
  .at(-1)!
  .replace(/\.up\.sql$/, '');

afterAll(async () => {
  for (const p of processesOf(stateDir)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await leftovers(stateDir, 10_000);
  rmSync(stateDir, { recursive: true, force: true });
});

async function cli(args: string[], env = devEnv(stateDir)) {
  const run = npm(['run', ...args], env);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('local CLIs', { timeout: 240_000 }, () => {
  it('every CLI has --help (exit 0) and refuses bad arguments with exit 2', async () => {
    for (const name of ['migrate', 'refresh', 'vault:rotate']) {
      const help = await cli([name, '--', '--help']);
      expect(help.code, name).toBe(0);
      expect(help.stdout).toContain(`usage: npm run ${name}`);
      expect(help.stdout).toContain('DATABASE_URL');
    }
    const bad = await cli(['refresh', '--', '--concurrency', 'lots']);
    expect(bad.code).toBe(2);
    expect(ownLines(bad.stderr)[0]).toBe(
      'npm run refresh: --concurrency must be a positive integer, not "lots"',
    );
    const sideways = await cli(['migrate', 'sideways']);
    expect(sideways.code).toBe(2);
  });

  it('without npm start, migrate runs the embedded PostgreSQL itself and prints what it applied', async () => {
    const first = await cli(['migrate']);
    expect(first.stderr).not.toContain('undefined');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Applied \d+ migrations? to brand/);
    expect(first.stdout).toContain(lastMigration);
    expect(await leftovers(stateDir)).toEqual([]);
  });

  it('while npm start runs, the CLIs work on its database', async () => {
    const port = await freePort();
    const server = await startNpm(devEnv(stateDir, { PORT: String(port) }));
    try {
      const upToDate = await cli(['migrate']);
      expect(upToDate.code).toBe(0);
      expect(upToDate.stdout).toMatch(
        /Nothing to apply: brand \(the running npm start \(pid \d+\)\) is up to date/,
      );

      const down = await cli(['migrate', 'down', '1']);
      expect(down.code).toBe(0);
      expect(down.stdout).toContain(`Reverted 1 migration on brand`);
      expect(down.stdout).toContain(lastMigration);

      const up = await cli(['migrate']);
      expect(up.code).toBe(0);
      expect(up.stdout).toContain('Applied 1 migration to brand');
      expect(up.stdout).toContain(lastMigration);

      const refresh = await cli(['refresh', '--', '--dry-run']);
      expect(refresh.code).toBe(0);
      expect(JSON.parse(refresh.stdout.slice(refresh.stdout.indexOf('{')))).toEqual({
        due: { google_drive: 0, onedrive: 0, dropbox: 0 },
      });

      const rotate = await cli(['vault:rotate']);
      expect(rotate.code).toBe(0);
      expect(JSON.parse(rotate.stdout.slice(rotate.stdout.indexOf('{')))).toMatchObject({ complete: true });

      // The server still answers after all of that.
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      process.kill(server.child.pid!, 'SIGTERM');
      await server.exited;
    }
    expect(await leftovers(stateDir)).toEqual([]);
  });

  it('says exactly why not when npm start runs against DATABASE_URL and the CLI has none', async () => {
    const port = await freePort();
    const server = await startNpm(
      devEnv(stateDir, { PORT: String(port), DATABASE_URL: inject('adminUrl'), DATABASE_NAME: 'clis_e2e' }),
    );
    try {
      const { code, stderr } = await cli(['migrate']);
      expect(code).toBe(1);
      expect(ownLines(stderr)).toEqual([
        expect.stringMatching(
          /^npm run migrate: npm start \(pid \d+\) runs against DATABASE_URL; set the same DATABASE_URL for this command$/,
        ),
      ]);
    } finally {
      process.kill(server.child.pid!, 'SIGTERM');
      await server.exited;
    }
    expect(await leftovers(stateDir)).toEqual([]);
  });
});
