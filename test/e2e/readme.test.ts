/**
 * The README's shell blocks, executed. Every ```sh block is marked on the line before it:
 *   <!-- readme: run -->                 run here, in README order, as one terminal session would
 *   <!-- readme: not run: <reason> -->   with the reason (which test covers it, or what it needs)
 * The run happens in a fresh "clone" (a temp dir linking the repository's files, with its own .local/ and
 * .env) against `PROVIDERS=sandbox npm start` on a free port (`localhost:3000` in the README becomes that port).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/ports';
import { devEnv, leftovers, processesOf, repoRoot, startNpm } from '../support/npm-start.ts';

interface Block {
  marker: string;
  code: string;
  line: number;
}

function shellBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[i]!)) continue;
    let j = i - 1;
    while (j >= 0 && lines[j]!.trim() === '') j--;
    const end = lines.indexOf('```', i + 1);
    blocks.push({ marker: lines[j]?.trim() ?? '', code: lines.slice(i + 1, end).join('\n'), line: i + 1 });
    i = end;
  }
  return blocks;
}

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const blocks = shellBlocks(readme);
const RUN = '<!-- readme: run -->';
const NOT_RUN = /^<!-- readme: not run: (.{10,}) -->$/;

// Generated or local-only files stay out of the clone, so the run cannot touch the working copy.
const NOT_LINKED = new Set(['.local', '.env', '.git', 'openapi.json', 'cdk.out']);
const clone = mkdtempSync(path.join(os.tmpdir(), 'brand-readme-'));
chmodSync(clone, 0o755); // like a checkout: PostgreSQL (its own user when we are root) must reach .local/
for (const entry of readdirSync(repoRoot)) {
  if (!NOT_LINKED.has(entry)) symlinkSync(path.join(repoRoot, entry), path.join(clone, entry));
}
const stateDir = path.join(clone, '.local');

afterAll(async () => {
  for (const p of processesOf(stateDir)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await leftovers(stateDir, 10_000);
  rmSync(clone, { recursive: true, force: true });
});

describe('README', () => {
  it('marks every shell block as run here or says why not', () => {
    expect(blocks.length).toBeGreaterThan(3);
    for (const block of blocks) {
      expect(
        block.marker === RUN || NOT_RUN.test(block.marker),
        `README.md line ${block.line}: precede the block with "${RUN}" or "<!-- readme: not run: <reason> -->"`,
      ).toBe(true);
    }
    expect(blocks.filter((b) => b.marker === RUN).length).toBeGreaterThan(2);
  });

  it('runs every block marked "run" against a started stack', { timeout: 300_000 }, async () => {
    const port = await freePort();
    const env = devEnv(stateDir, { PORT: String(port), PROVIDERS: 'sandbox' });
    const server = await startNpm(env);
    try {
      const script = [
        'set -euo pipefail',
        ...blocks
          .filter((b) => b.marker === RUN)
          .map((b) => b.code.replaceAll('localhost:3000', `localhost:${port}`)),
      ].join('\n');
      const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
        (resolve) => {
          const child = execFile(
            'bash',
            ['-c', script],
            { cwd: clone, env: { ...env, PROVIDERS: '' }, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
            (error, out, err) =>
              resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out, stderr: err }),
          );
          child.stdin?.end();
        },
      );
      expect(code, `${stdout}\n${stderr}`).toBe(0);
      // What each documented step promises.
      expect(stdout).toContain('{"status":"ok"}');
      expect(stdout).toMatch(/"email":"ann@example\.com"/);
      expect(stdout).toContain('"authorizationUrl":"https://');
      expect(stdout).toMatch(/Nothing to apply|Applied \d+ migration/);
      expect(stdout).toMatch(/"complete": true/);
      expect(stdout).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/); // the access token never echoed by the README

      // The printed connection string is the local database, as the owner.
      const url = /postgres:\/\/brand_owner:[^\s]+\/brand/.exec(stdout)?.[0];
      expect(url).toBeDefined();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ who: string; n: number }>(
          'select current_user as who, (select count(*)::int from pgmigrations) as n',
        );
        expect(rows[0]!.who).toBe('brand_owner');
        expect(rows[0]!.n).toBeGreaterThan(0);
      } finally {
        await client.end();
      }
    } finally {
      process.kill(server.child.pid!, 'SIGTERM');
      await server.exited;
    }
    expect(await leftovers(stateDir)).toEqual([]);
  });
});
