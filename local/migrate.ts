/**
 * `npm run migrate [up|down] [count]`: applies migrations/ as the owner role to DATABASE_URL, or to the
 * embedded PostgreSQL under .local/ when DATABASE_URL is not set.
 */
import path from 'node:path';
import { migrate } from '#shared/db/migrate';
import { freePort } from './ports.ts';
import { prepareDatabase, startEmbeddedPostgres } from './postgres.ts';

const direction = (process.argv[2] ?? 'up') as 'up' | 'down';
if (direction !== 'up' && direction !== 'down') throw new Error('usage: npm run migrate [up|down] [count]');
const count = process.argv[3] ? Number(process.argv[3]) : undefined;

let stop: (() => Promise<void>) | undefined;
let adminUrl = process.env.DATABASE_URL;
if (!adminUrl) {
  const pg = await startEmbeddedPostgres(
    path.resolve(process.env.LOCAL_STATE_DIR ?? '.local', 'postgres'),
    await freePort(),
  );
  adminUrl = pg.superuserUrl();
  stop = pg.stop;
}
try {
  // prepareDatabase creates the owner role and database when missing and applies every pending migration.
  const urls = await prepareDatabase(adminUrl, process.env.DATABASE_NAME ?? 'brand');
  if (direction === 'down') {
    const undone = await migrate({ ownerUrl: urls.ownerUrl, direction: 'down', count: count ?? 1 });
    console.log(`Reverted: ${undone.join(', ') || 'nothing'}`);
  } else {
    console.log('Database is up to date.');
  }
} finally {
  await stop?.();
}
