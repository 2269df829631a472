/**
 * Runs the real `npm start` (and the local CLIs) as a developer does, with its own state directory and port,
 * and finds every process that belongs to that state: those carrying its LOCAL_STATE_DIR in their environment
 * (npm, the server, the reaper, cognito-local, the postmaster) and those working inside it (PostgreSQL's own
 * processes run in the data directory). Linux /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface NpmRun {
  child: ChildProcess;
  output: () => string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The environment of a developer's shell for this state directory (no test-run DATABASE_URL leaks in). */
export function devEnv(stateDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_STATE_DIR: stateDir, ...extra };
  if (!('DATABASE_URL' in extra)) delete env.DATABASE_URL;
  for (const key of [
    'APP_DATABASE_URL',
    'REFRESHER_DATABASE_URL',
    'COGNITO_ENDPOINT',
    'PROVIDERS',
    'VITEST',
  ]) {
    if (!(key in extra)) delete env[key];
  }
  return env;
}

/** `npm <args>` in its own process group (so a test can signal it like a terminal does). */
export function npm(args: string[], env: NodeJS.ProcessEnv): NpmRun {
  const child = spawn('npm', args, { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out + err, stdout: () => out, stderr: () => err, exited };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value, or throws after `timeoutMs` with `describe()` in the message. */
export async function pollUntil<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await sleep(100);
  }
}

/** Starts `npm start` and waits (generously: a first start runs initdb) for its banner. */
export async function startNpm(env: NodeJS.ProcessEnv, timeoutMs = 150_000): Promise<NpmRun> {
  const run = npm(['start'], env);
  let exited = false;
  void run.exited.then(() => {
    exited = true;
  });
  await pollUntil(
    () => (/Stop {2,}/.test(run.stdout()) ? true : exited ? true : undefined),
    timeoutMs,
    () => `npm start did not show its banner:\n${run.output()}`,
  );
  if (exited) throw new Error(`npm start exited early:\n${run.output()}`);
  return run;
}

export interface StateProcess {
  pid: number;
  command: string;
}

/** Every live process that belongs to `stateDir` (see the module comment). */
export function processesOf(stateDir: string): StateProcess[] {
  const found: StateProcess[] = [];
  const marker = `LOCAL_STATE_DIR=${stateDir}\0`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/\) [ZX] /.test(stat)) continue;
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        // not ours to read
      }
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (environ.includes(marker) || cwd === stateDir || cwd.startsWith(`${stateDir}/`)) {
        const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
        found.push({ pid: Number(entry), command });
      }
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Waits until no process of `stateDir` is left (or the deadline passes) and returns what is left. */
export async function leftovers(stateDir: string, timeoutMs = 15_000): Promise<StateProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesOf(stateDir);
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(100);
  }
}

/** The run.json of a running start. */
export function runState(stateDir: string): { pid: number; port: number; postgresPort?: number } {
  return JSON.parse(readFileSync(path.join(stateDir, 'run.json'), 'utf8'));
}

/** Lines our own code printed on stderr (npm's `npm error …` lines about the failed script left out). */
export function ownLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l && !l.startsWith('npm error') && !l.startsWith('npm warn') && !l.startsWith('>'));
}
