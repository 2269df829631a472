/**
 * The `npm start` lifecycle as a developer lives it: the real npm script, embedded PostgreSQL, cognito-local,
 * signals to npm, a second start, a busy port, kill -9. Every case counts the processes of its state directory
 * that are left behind: 0. One state directory for the file (initdb once); the cases run in order.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '#local/ports';
import {
  devEnv,
  leftovers,
  npm,
  ownLines,
  pollUntil,
  processesOf,
  runState,
  startNpm,
} from '../support/npm-start.ts';

const stateDir = mkdtempSync(path.join(os.tmpdir(), 'brand-npm-start-'));
let port = 0;
const env = () => devEnv(stateDir, { PORT: String(port) });

beforeAll(async () => {
  port = await freePort();
});

afterAll(async () => {
  // Whatever a failed case left: stop it, so the run does not leak processes either way.
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

async function health(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) });
  return res.status;
}

describe('npm start lifecycle', { timeout: 240_000 }, () => {
  it('a second start on the same state says "already running on port N (pid P)", exits 1 and starts nothing', async () => {
    const first = await startNpm(env());
    expect(await health()).toBe(200);
    const { pid } = runState(stateDir);
    const before = processesOf(stateDir)
      .map((p) => p.pid)
      .sort();

    const second = npm(['start'], env());
    const { code } = await second.exited;
    expect(code).toBe(1);
    expect(second.stderr()).toContain(`already running on port ${port} (pid ${pid})`);
    expect(ownLines(second.stderr())).toHaveLength(1);
    // The first one is untouched and nothing new lives on.
    expect(await health()).toBe(200);
    const after = await pollUntil(
      () => {
        const now = processesOf(stateDir)
          .map((p) => p.pid)
          .sort();
        return now.every((p) => before.includes(p)) ? now : undefined;
      },
      15_000,
      () => JSON.stringify(processesOf(stateDir)),
    );
    expect(after).toEqual(before);

    // SIGTERM to the npm process stops everything.
    const sent = Date.now();
    process.kill(first.child.pid!, 'SIGTERM');
    await first.exited;
    expect(Date.now() - sent).toBeLessThan(3_000);
    expect(await leftovers(stateDir)).toEqual([]);
  });

  it('SIGINT to npm, and Ctrl-C (SIGINT to the whole process group), stop everything', async () => {
    const byNpm = await startNpm(env());
    let sent = Date.now();
    process.kill(byNpm.child.pid!, 'SIGINT');
    await byNpm.exited;
    expect(Date.now() - sent).toBeLessThan(3_000);
    expect(await leftovers(stateDir)).toEqual([]);

    const byTerminal = await startNpm(env());
    sent = Date.now();
    process.kill(-byTerminal.child.pid!, 'SIGINT');
    await byTerminal.exited;
    expect(Date.now() - sent).toBeLessThan(3_000);
    expect(await leftovers(stateDir)).toEqual([]);
  });

  it('a busy port is a one-line error, exit 1, and nothing is left running', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const run = npm(['start'], env());
      const { code } = await run.exited;
      expect(code).toBe(1);
      expect(ownLines(run.stderr())).toEqual([
        `npm start: port ${port} is in use; stop what uses it or choose another one, e.g. PORT=${port + 1} npm start`,
      ]);
      expect(await leftovers(stateDir)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('PostgreSQL failing to start shows its own log lines, and nothing is left running', async () => {
    const conf = path.join(stateDir, 'postgres', 'postgresql.conf');
    const original = readFileSync(conf, 'utf8');
    appendFileSync(conf, '\nshared_buffers = lots\n');
    try {
      const run = npm(['start'], env());
      const { code } = await run.exited;
      expect(code).toBe(1);
      expect(run.stderr()).toContain('npm start: PostgreSQL did not start');
      expect(run.stderr()).toContain('PostgreSQL said:');
      expect(run.stderr()).toMatch(/invalid value for parameter "shared_buffers"/);
      expect(run.stderr()).not.toContain('undefined');
      expect(await leftovers(stateDir)).toEqual([]);
    } finally {
      writeFileSync(conf, original);
    }
  });

  it('kill -9 of the server: the reaper stops its children at once', async () => {
    await startNpm(env());
    const { pid } = runState(stateDir);
    process.kill(pid, 'SIGKILL');
    expect(await leftovers(stateDir)).toEqual([]);
  });

  it('kill -9 of the server and its reaper: the next start stops the orphans; 0 left after it stops', async () => {
    await startNpm(env());
    const { pid } = runState(stateDir);
    const reaper = processesOf(stateDir).find((p) => p.command.includes('reaper.cjs'));
    expect(reaper).toBeDefined();
    process.kill(reaper!.pid, 'SIGKILL');
    process.kill(pid, 'SIGKILL');
    // PostgreSQL lives on as an orphan (cognito-local ends with its parent's pipe).
    const orphans = await pollUntil(
      () => {
        const left = processesOf(stateDir);
        return left.some((p) => p.command.includes('postgres -D')) &&
          !left.some((p) => p.command.includes('start.ts'))
          ? left
          : undefined;
      },
      15_000,
      () => JSON.stringify(processesOf(stateDir)),
    );
    expect(orphans.length).toBeGreaterThan(0);

    const next = await startNpm(env());
    expect(next.stderr()).toMatch(/Stopping postgres \(pid \d+\) left behind by an earlier start/);
    expect(await health()).toBe(200);
    process.kill(next.child.pid!, 'SIGTERM');
    await next.exited;
    expect(await leftovers(stateDir)).toEqual([]);
  });

  it('DATABASE_URL mode keeps .local/cognito/port, and tokens issued before stay valid', async () => {
    const cognitoPortFile = path.join(stateDir, 'cognito', 'port');
    const remembered = readFileSync(cognitoPortFile, 'utf8');
    const withUrl = () =>
      devEnv(stateDir, {
        PORT: String(port),
        DATABASE_URL: inject('adminUrl'),
        DATABASE_NAME: 'npm_start_e2e',
      });
    const first = await startNpm(withUrl());
    const email = `npm-start-${Date.now()}@example.test`;
    const password = 'Npm-start-pass-1!';
    const post = (p: string, body: unknown) =>
      fetch(`http://127.0.0.1:${port}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/auth/register', { email, password, name: 'Npm Start' })).status).toBe(201);
    const login = (await (await post('/auth/login', { email, password })).json()) as { accessToken: string };
    process.kill(first.child.pid!, 'SIGTERM');
    await first.exited;

    // cognito-local's remembered port is taken this time: it runs elsewhere, the file and the issuer stay.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(remembered), '127.0.0.1', resolve));
    try {
      const second = await startNpm(withUrl());
      expect(readFileSync(cognitoPortFile, 'utf8')).toBe(remembered);
      const me = await fetch(`http://127.0.0.1:${port}/auth/me`, {
        headers: { authorization: `Bearer ${login.accessToken}` },
      });
      expect(me.status).toBe(200);
      process.kill(second.child.pid!, 'SIGTERM');
      await second.exited;
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    expect(await leftovers(stateDir)).toEqual([]);
  });
});
