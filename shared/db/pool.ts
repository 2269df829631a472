import pg from 'pg';
import { forgetSecret, getJsonSecret } from '#shared/aws/secrets';
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
/** Pools replaced after a refused login (a rotated secret); closePools() ends them too. */
const retired = new Set<pg.Pool>();

/** The secret a role's credentials come from (they rotate), or undefined with a fixed connection string. */
function secretOf(role: DbRole): string | undefined {
  return optionalEnv(ENV[role].url) ? undefined : optionalEnv(ENV[role].secret);
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

async function connectionConfig(role: DbRole): Promise<pg.PoolConfig> {
  const url = optionalEnv(ENV[role].url);
  // Direct connections get the server-side limits in the startup packet (no extra round trip). Behind RDS Proxy
  // the same limits come from the roles' defaults (set by the migrations) and from `withTenant`.
  if (url) return { connectionString: url, options: startupOptions() };
  const secretArn = secretOf(role);
  if (!secretArn) throw new Error(`Database is not configured: set ${ENV[role].url} or ${ENV[role].secret}`);
  const secret = await getJsonSecret(secretArn);
  const host = optionalEnv('DB_HOST') ?? String(secret.host);
  return {
    host,
    port: Number(secret.port ?? 5432),
    database: optionalEnv('DB_NAME') ?? String(secret.dbname),
    user: String(secret.username),
    password: String(secret.password),
    // RDS Proxy requires TLS and presents a publicly trusted certificate; a direct connection to the instance
    // (the migrate function) needs the RDS CA bundle through NODE_EXTRA_CA_CERTS. Only a server on this very
    // machine (the rotation test's PostgreSQL) is reached without TLS: that traffic never leaves the host.
    ssl: LOOPBACK.has(host) ? false : { rejectUnauthorized: true },
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
    idleTimeoutMillis: settings.idleTimeoutMs,
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

/** PostgreSQL refused the login: wrong password (28P01) or no such login (28000). */
export function isAuthenticationFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '28P01' || code === '28000';
}

/**
 * A client from the role's pool. When the credentials come from a secret and the login is refused, the secret
 * has most likely been rotated since the pool was built (Secrets Manager's 30-day rotation; the pool keeps the
 * password it started with and opens new connections with it whenever an idle one was closed). Then the secret
 * is read again, the pool rebuilt from it (the old one is retired: clients checked out of it finish normally)
 * and the connection tried once more. Nothing has run on the failed connection, so the retry is always safe.
 * A second refusal is a real configuration error and is thrown.
 */
export async function connect(role: DbRole = 'app'): Promise<pg.PoolClient> {
  const pending = getPool(role);
  try {
    return await (await pending).connect();
  } catch (error) {
    const secretArn = secretOf(role);
    if (!secretArn || !isAuthenticationFailure(error)) throw error;
    logger.warn('Database login refused: re-reading the credentials (rotated secret?) and retrying once', {
      role,
      code: (error as { code?: string }).code,
    });
    // Only the first caller to see this pool fail replaces it; the others retry on its replacement.
    if (pools.get(role) === pending) {
      pools.delete(role);
      forgetSecret(secretArn);
      // Not ended here: a concurrent request may be about to call connect() on it, which an ended pool refuses.
      // Its idle connections close by the idle timeout, and a refused login there retries on the new pool.
      retired.add(await pending);
    }
    return (await getPool(role)).connect();
  }
}

/** Closes every pool (local server shutdown and tests). */
export async function closePools(): Promise<void> {
  const all = [...pools.values(), ...retired];
  pools.clear();
  retired.clear();
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
