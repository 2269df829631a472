import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { type DatabaseUrls, prepareDatabase } from '#local/postgres';
import { closePools } from '#shared/db/pool';

/** A fresh, migrated database on the run's PostgreSQL, isolated from every other test file. */
export async function createTestDatabase(): Promise<DatabaseUrls & { name: string }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const urls = await prepareDatabase(inject('adminUrl'), name);
  return { ...urls, name };
}

/**
 * Gives a test file its own database and points the application's pools at it (APP_/REFRESHER_DATABASE_URL).
 * Returns a getter, since the database exists only once `beforeAll` has run.
 */
export function useTestDatabase(): () => DatabaseUrls & { name: string } {
  let db: (DatabaseUrls & { name: string }) | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.APP_DATABASE_URL = db.appUrl;
    process.env.REFRESHER_DATABASE_URL = db.refresherUrl;
  });
  afterAll(async () => {
    await closePools();
  });
  return () => {
    if (!db) throw new Error('useTestDatabase: database not ready (use it inside tests or hooks)');
    return db;
  };
}

/** Runs `fn` with a one-off client on the given URL (owner, app or refresher). */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Inserts users rows directly as the owner would not (RLS): through the app role with each user's context. */
export async function insertUsers(appUrl: string, ...ids: string[]): Promise<void> {
  await withClient(appUrl, async (c) => {
    for (const id of ids) {
      await c.query('begin');
      await c.query("select set_config('app.user_id', $1, true)", [id]);
      await c.query('insert into users (id, email, name) values ($1, $2, $3) on conflict do nothing', [
        id,
        `${id}@example.test`,
        'Test user',
      ]);
      await c.query('commit');
    }
  });
}
