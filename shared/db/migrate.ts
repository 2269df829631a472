import path from 'node:path';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

export interface MigrateOptions {
  /** Connection of the owner role: it owns every table and creates the runtime roles. */
  ownerUrl: string | pg.ClientConfig;
  direction?: 'up' | 'down';
  /** Number of migrations to apply (default: all up, or one down). `Infinity` for all. */
  count?: number;
  dir?: string;
  log?: (message: string) => void;
  /** How long to wait for the migration lock and for each table lock a migration takes (default 60 s). */
  lockTimeoutMs?: number;
}

/**
 * A migration never waits indefinitely: not for the advisory lock another migrate run holds, and not for a table
 * lock behind a long transaction (every query on that table would queue behind the waiting DDL). It fails
 * instead, which fails and rolls back the deployment, and the deploy can be retried.
 */
export const MIGRATION_LOCK_TIMEOUT_MS = 60_000;

export const migrationsDir = (): string =>
  process.env.MIGRATIONS_DIR ?? path.resolve(process.cwd(), 'migrations');

/**
 * Applies `migrations/` with node-pg-migrate. The same function runs for `npm run migrate`, in the tests and
 * in the deploy-time migration Lambda. All pending migrations run in one transaction under an advisory lock,
 * so two concurrent deploys cannot interleave.
 */
export async function migrate(options: MigrateOptions): Promise<string[]> {
  const direction = options.direction ?? 'up';
  const lockTimeoutMs = options.lockTimeoutMs ?? MIGRATION_LOCK_TIMEOUT_MS;
  const config =
    typeof options.ownerUrl === 'string' ? { connectionString: options.ownerUrl } : options.ownerUrl;
  const client = new pg.Client({
    ...config,
    options: `-c lock_timeout=${Math.max(1, Math.round(lockTimeoutMs))}`,
  });
  await client.connect();
  try {
    return await runMigrations(client, options, direction);
  } finally {
    await client.end();
  }
}

async function runMigrations(
  dbClient: pg.Client,
  options: MigrateOptions,
  direction: 'up' | 'down',
): Promise<string[]> {
  const applied = await runner({
    dbClient,
    dir: options.dir ?? migrationsDir(),
    direction,
    count: options.count ?? (direction === 'up' ? Number.POSITIVE_INFINITY : 1),
    migrationsTable: 'pgmigrations',
    migrationLoaderStrategies: [{ extensions: ['.sql'], loader: 'sql' }],
    singleTransaction: true,
    checkOrder: true,
    advisoryLockMode: 'wait',
    log: options.log ?? (() => undefined),
  });
  return applied.map((m) => m.name);
}

export interface RolePasswords {
  brand_app?: string;
  brand_refresher?: string;
}

/** Sets the runtime roles' passwords (from Secrets Manager in AWS, from local defaults on a laptop). */
export async function setRolePasswords(
  ownerUrl: string | pg.ClientConfig,
  passwords: RolePasswords,
): Promise<void> {
  const client = new pg.Client(typeof ownerUrl === 'string' ? { connectionString: ownerUrl } : ownerUrl);
  await client.connect();
  try {
    for (const [role, password] of Object.entries(passwords)) {
      if (!password) continue;
      await client.query(
        `ALTER ROLE ${client.escapeIdentifier(role)} PASSWORD ${client.escapeLiteral(password)}`,
      );
    }
  } finally {
    await client.end();
  }
}
