import type pg from 'pg';
import { getJsonSecret } from '#shared/aws/secrets';
import { intEnv, requireEnv } from '#shared/config';
import { migrate, setRolePasswords } from '#shared/db/migrate';
import { logger } from '#shared/logger';

/** The runtime roles created by migrations/001; their passwords live in Secrets Manager. */
const RUNTIME_ROLES = [
  { role: 'brand_app', secretEnv: 'DB_SECRET_ARN' },
  { role: 'brand_refresher', secretEnv: 'REFRESHER_DB_SECRET_ARN' },
] as const;

async function credentials(secretEnv: string, expectedUser?: string) {
  const secret = await getJsonSecret(requireEnv(secretEnv));
  const user = String(secret.username ?? '');
  const password = String(secret.password ?? '');
  if (!user || !password) throw new Error(`The secret in ${secretEnv} has no username/password`);
  // A secret wired to the wrong role would hand one role's password to another: refuse it.
  if (expectedUser && user !== expectedUser) {
    throw new Error(`The secret in ${secretEnv} is for ${user}, expected ${expectedUser}`);
  }
  return { user, password };
}

/**
 * Deploy-time migration, invoked by the CDK Trigger once the database is available and before the functions
 * that rely on the new schema are updated. Connects as the owner (the RDS master user) straight to the DB
 * instance, not through RDS Proxy (DDL and the advisory lock want one plain session), applies migrations/
 * (bundled next to this file, MIGRATIONS_DIR), then sets the runtime roles' passwords from their secrets so that
 * RDS Proxy can log in as them. Any error fails the deployment.
 */
export const handler = async (): Promise<{ applied: string[] }> => {
  const owner = await credentials('DB_OWNER_SECRET_ARN');
  const ownerUrl: pg.ClientConfig = {
    host: requireEnv('DB_HOST'),
    port: intEnv('DB_PORT', 5432),
    database: requireEnv('DB_NAME'),
    user: owner.user,
    password: owner.password,
    // The instance's certificate is signed by the RDS CA: NODE_EXTRA_CA_CERTS points at the runtime's bundle.
    ssl: { rejectUnauthorized: true },
    connectionTimeoutMillis: 10_000,
  };

  const applied = await migrate({ ownerUrl, log: (message) => logger.debug(message) });
  logger.info('Migrations applied', { applied, count: applied.length });

  const passwords: Record<string, string> = {};
  for (const { role, secretEnv } of RUNTIME_ROLES) {
    passwords[role] = (await credentials(secretEnv, role)).password;
  }
  await setRolePasswords(ownerUrl, passwords);
  logger.info('Runtime role passwords set', { roles: Object.keys(passwords) });
  return { applied };
};
