/**
 * `.local/run.json`: which `npm start` owns the local state, on which port, and which child processes it
 * started. It is the lock against a second `npm start` on the same state, the way the CLIs find the running
 * database, and the list of orphans to clean up after a start that was killed (kill -9, a crash).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { commandLine, isAlive, stopProcess } from './processes.ts';

export interface RunChild {
  name: 'postgres' | 'cognito-local' | 'reaper';
  pid: number;
  /** A string the child's command line contains, so a recycled pid is never killed by mistake. */
  match: string;
  /** How it stops cleanly (PostgreSQL: SIGINT is its fast shutdown). */
  signal: NodeJS.Signals;
}

export interface RunState {
  /** The local/<command>.ts holding the state: `start`, or a CLI running its own embedded PostgreSQL. */
  command: string;
  pid: number;
  /** The gateway's port (the requested one until it listens). */
  port: number;
  /** Set once the gateway listens. */
  url?: string;
  startedAt: string;
  /** `embedded`: PostgreSQL under <state>/postgres; `database-url`: the server in DATABASE_URL. */
  database: 'embedded' | 'database-url';
  /** The embedded PostgreSQL's port (the CLIs connect to it while `npm start` runs). */
  postgresPort?: number;
  databaseName?: string;
  children: RunChild[];
}

export class AlreadyRunning extends Error {
  constructor(readonly state: RunState) {
    super(
      state.command !== 'start'
        ? `\`npm run ${state.command.replace('vault-rotate', 'vault:rotate')}\` (pid ${state.pid}) is using the local database; try again when it is done`
        : state.url
          ? `already running on port ${state.port} (pid ${state.pid})`
          : `already starting on port ${state.port} (pid ${state.pid})`,
    );
  }
}

export const runFile = (stateDir: string) => path.join(stateDir, 'run.json');

function read(file: string): RunState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunState;
  } catch {
    return undefined;
  }
}

/** Whether `state` belongs to a live process (its pid alive and still running local/<command>.ts). */
function owns(state: RunState): boolean {
  return isAlive(state.pid) && commandLine(state.pid).includes(`${state.command ?? 'start'}.ts`);
}

/** The live `npm start` (or CLI) holding this state directory, if any. */
export function currentOwner(stateDir: string): RunState | undefined {
  const state = read(runFile(stateDir));
  return state && owns(state) ? state : undefined;
}

/** Stops the children a dead `npm start` left behind (only processes whose command line still matches). */
export async function reapOrphans(state: RunState, log: (line: string) => void = () => undefined) {
  await Promise.all(
    state.children.map(async (child) => {
      if (!isAlive(child.pid) || !commandLine(child.pid).includes(child.match)) return;
      log(`Stopping ${child.name} (pid ${child.pid}) left behind by an earlier start (pid ${state.pid}).`);
      await stopProcess(child.pid, child.signal);
    }),
  );
}

export interface RunStateHandle {
  state: RunState;
  update(patch: Partial<RunState>): void;
  addChild(child: RunChild): void;
  release(): void;
}

/**
 * Takes the state directory for this process: fails with AlreadyRunning when a live `npm start` holds it,
 * cleans up after a dead one, and writes run.json (created exclusively, so two starts cannot both win).
 */
export async function acquireRunState(
  stateDir: string,
  initial: Omit<RunState, 'pid' | 'startedAt' | 'children'>,
  log: (line: string) => void = () => undefined,
): Promise<RunStateHandle> {
  mkdirSync(stateDir, { recursive: true });
  const file = runFile(stateDir);
  const state: RunState = { pid: process.pid, startedAt: new Date().toISOString(), children: [], ...initial };
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(JSON.stringify(state, null, 2));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 3) throw error;
    }
    const previous = read(file);
    if (previous && owns(previous)) throw new AlreadyRunning(previous);
    if (!previous) {
      // Being written by a start that began this very moment; give it a beat.
      await new Promise((r) => setTimeout(r, 200));
      const again = read(file);
      if (again && owns(again)) throw new AlreadyRunning(again);
      if (again) await reapOrphans(again, log);
    } else {
      await reapOrphans(previous, log);
    }
    rmSync(file, { force: true });
  }
  const write = () => {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
    renameSync(tmp, file);
  };
  let released = false;
  return {
    state,
    update(patch) {
      if (released) return;
      Object.assign(state, patch);
      write();
    },
    addChild(child) {
      if (released) return;
      state.children = [...state.children.filter((c) => c.name !== child.name), child];
      write();
    },
    release() {
      if (released) return;
      released = true;
      const current = read(file);
      if (current?.pid === process.pid && existsSync(file)) rmSync(file, { force: true });
    },
  };
}
