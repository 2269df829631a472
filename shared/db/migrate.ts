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
}

export const migrationsDir = (): string =>
  process.env.MIGRATIONS_DIR ?? path.resolve(process.cwd(), 'migrations');

/**
 * Applies `migrations/` with node-pg-migrate. The same function runs for `npm run migrate`, in the tests and
 * in the deploy-time migration Lambda. All pending migrations run in one transaction under an advisory lock,
 * so two concurrent deploys cannot interleave.
 */
export async function migrate(options: MigrateOptions): Promise<string[]> {
  const direction = options.direction ?? 'up';
  const applied = await runner({
    databaseUrl: options.ownerUrl,
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
