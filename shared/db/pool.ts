import pg from 'pg';
import { getJsonSecret } from '#shared/aws/secrets';
import { dbSettings, optionalEnv } from '#shared/config';
import { logger } from '#shared/logger';

/**
 * The two database identities the functions use. `app` is subject to row-level security and owns nothing;
 * `refresher` is the scheduled token-refresh job whose grants reach only the token and audit tables.
 */
export type DbRole = 'app' | 'refresher';

const ENV: Record<DbRole, { url: string; secret: string }> = {
  app: { url: 'APP_DATABASE_URL', secret: 'DB_SECRET_ARN' },
  refresher: { url: 'REFRESHER_DATABASE_URL', secret: 'REFRESHER_DB_SECRET_ARN' },
};

// Timestamps and dates come back as ISO strings; the API speaks ISO 8601 and this avoids Date round trips.
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (v) => new Date(v).toISOString());
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

const pools = new Map<DbRole, Promise<pg.Pool>>();

async function connectionConfig(role: DbRole): Promise<pg.PoolConfig> {
  const url = optionalEnv(ENV[role].url);
  // Direct connections get the server-side limits in the startup packet (no extra round trip). Behind RDS Proxy
  // the same limits come from the roles' defaults (set by the migrations) and from `withTenant`.
  if (url) return { connectionString: url, options: startupOptions() };
  const secretArn = optionalEnv(ENV[role].secret);
  if (!secretArn) throw new Error(`Database is not configured: set ${ENV[role].url} or ${ENV[role].secret}`);
  const secret = await getJsonSecret(secretArn);
  return {
    host: optionalEnv('DB_HOST') ?? String(secret.host),
    port: Number(secret.port ?? 5432),
    database: optionalEnv('DB_NAME') ?? String(secret.dbname),
    user: String(secret.username),
    password: String(secret.password),
    // RDS Proxy requires TLS and presents a publicly trusted certificate; a direct connection to the instance
    // (the migrate function) needs the RDS CA bundle through NODE_EXTRA_CA_CERTS.
    ssl: { rejectUnauthorized: true },
  };
}

function startupOptions(): string {
  const s = dbSettings();
  return `-c statement_timeout=${s.statementTimeoutMs} -c lock_timeout=${s.statementTimeoutMs} -c idle_in_transaction_session_timeout=${s.idleInTransactionTimeoutMs}`;
}

async function createPool(role: DbRole): Promise<pg.Pool> {
  const settings = dbSettings();
  const pool = new pg.Pool({
    ...(await connectionConfig(role)),
    max: settings.poolMax,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    idleTimeoutMillis: 60_000,
    // Client-side guard for a stalled server that stops answering altogether.
    query_timeout: settings.statementTimeoutMs + 1_000,
    application_name: `brand-cloud-${role}`,
    keepAlive: true,
  });
  // An idle client whose server went away must not crash the container; the pool replaces it.
  pool.on('error', (error) => logger.warn('Idle database client failed', { role, error: error.message }));
  return pool;
}

/** The pool for a role, created once per container on first use. */
export function getPool(role: DbRole = 'app'): Promise<pg.Pool> {
  let pool = pools.get(role);
  if (!pool) {
    pool = createPool(role);
    pool.catch(() => pools.delete(role));
    pools.set(role, pool);
  }
  return pool;
}

/** Closes every pool (local server shutdown and tests). */
export async function closePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.allSettled(
    all.map(async (p) => {
      const pool = await p;
      // pool.end() resolves before the sockets are gone; a server stopping right after is not worth a warning.
      pool.removeAllListeners('error');
      pool.on('error', () => undefined);
      await pool.end();
    }),
  );
}
