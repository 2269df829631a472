/**
 * `npm run vault:rotate [-- --batch-size 50] [--max-batches N]`: re-encrypts sealed provider tokens that are
 * still on an old key version under the vault's current key (see shared/vault/keys.ts for the key variables).
 *
 * Database: REFRESHER_DATABASE_URL or REFRESHER_DB_SECRET_ARN when set; otherwise the local database (see
 * local/cli.ts: DATABASE_URL, else the running `npm start`, else .local/). pending_cloud_connections is rotated
 * only through a connection that can reach it across tenants: TOKEN_VAULT_ROTATE_PENDING_DATABASE_URL, or the
 * local admin connection.
 *
 * Resumable: Ctrl-C stops after the batch in flight commits (with an embedded PostgreSQL started for this
 * command, the terminal's Ctrl-C also stops PostgreSQL and that batch rolls back instead); either way, run it
 * again to finish. Prints counts only (never token material) and exits 1 while rows remain on old versions.
 */
import pg from 'pg';
import { clientTxRunner, rotateTokenKeys } from '#shared/cloud-storage/key-rotation';
import { optionalEnv } from '#shared/config';
import { positiveInt, runCli } from './cli.ts';
import { prepareDatabase } from './postgres.ts';

await runCli(
  {
    name: 'vault:rotate',
    usage: '[--batch-size 50] [--max-batches N]',
    description: [
      "Re-encrypts stored provider tokens that are sealed under an older vault key version with the vault's",
      'current key, in resumable batches. Prints a JSON report (counts only); exits 1 while rows remain on old',
      'versions (run it again to finish).',
    ].join('\n'),
    options: { 'batch-size': { type: 'string' }, 'max-batches': { type: 'string' } },
    optionHelp: [
      ['--batch-size N', 'rows re-encrypted per transaction'],
      ['--max-batches N', 'stop after N batches'],
    ],
  },
  async ({ values, signal, database }) => {
    const batchSize = positiveInt(values['batch-size'], 'batch-size');
    const maxBatches = positiveInt(values['max-batches'], 'max-batches');
    let pendingUrl = optionalEnv('TOKEN_VAULT_ROTATE_PENDING_DATABASE_URL');
    if (!optionalEnv('REFRESHER_DATABASE_URL') && !optionalEnv('REFRESHER_DB_SECRET_ARN')) {
      const db = await database();
      const urls = await prepareDatabase(db.adminUrl, db.database);
      if (urls.applied.length) console.error(`Applied pending migrations first: ${urls.applied.join(', ')}`);
      process.env.REFRESHER_DATABASE_URL = urls.refresherUrl;
      const adminOnDatabase = new URL(db.adminUrl);
      adminOnDatabase.pathname = `/${db.database}`;
      pendingUrl ??= adminOnDatabase.toString();
    }
    let pendingClient: pg.Client | undefined;
    try {
      if (pendingUrl) {
        pendingClient = new pg.Client({ connectionString: pendingUrl });
        await pendingClient.connect();
      }
      const report = await rotateTokenKeys({
        ...(batchSize ? { batchSize } : {}),
        ...(maxBatches ? { maxBatches } : {}),
        signal,
        ...(pendingClient ? { pendingTx: clientTxRunner(pendingClient) } : {}),
        onBatch: (p) =>
          console.error(`${p.table}: batch ${p.batch}, ${p.rotated} rotated, ${p.failed} failed`),
      });
      console.log(JSON.stringify(report, null, 2));
      return report.complete ? 0 : 1;
    } finally {
      await pendingClient?.end();
    }
  },
);
