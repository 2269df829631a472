import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertUsers, useTestDatabase, withClient } from '../../support/db.ts';
import { superuserUrl } from '../resources/helpers.ts';

/**
 * Finding 8 of the security review, in the database itself (migration 006): who may connect, what the
 * refresher may change, which audit rows it may write.
 */
const db = useTestDatabase();
const user = randomUUID();

beforeAll(async () => {
  await insertUsers(db().appUrl, user);
  await withClient(db().appUrl, async (c) => {
    await c.query('begin');
    await c.query("select set_config('app.user_id', $1, true)", [user]);
    await c.query(
      `insert into user_cloud_storage_tokens (user_id, provider, tokens_ciphertext, key_version, provider_user_id)
       values ($1, 'dropbox', '\\x00', 1, 'acct')`,
      [user],
    );
    await c.query('commit');
  });
});

const superuser = () => superuserUrl(db().name);

describe('database access', () => {
  it('PUBLIC has neither CONNECT nor TEMPORARY on the database; the runtime roles may connect', async () => {
    const [row] = await withClient(
      superuser(),
      async (c) =>
        (
          await c.query(
            `select datacl::text[] as acl,
                  has_database_privilege('brand_app', current_database(), 'CONNECT') as app,
                  has_database_privilege('brand_refresher', current_database(), 'CONNECT') as refresher,
                  has_database_privilege('brand_app', current_database(), 'TEMPORARY') as app_temp
             from pg_database where datname = current_database()`,
          )
        ).rows,
    );
    expect((row.acl as string[]).filter((entry) => entry.startsWith('='))).toEqual([]);
    expect(row).toMatchObject({ app: true, refresher: true, app_temp: false });
  });

  it('a login role without a grant cannot connect', async () => {
    const role = `probe_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await withClient(superuser(), (c) => c.query(`create role ${role} login password '${password}'`));
    try {
      const url = new URL(db().appUrl);
      url.username = role;
      url.password = password;
      const client = new pg.Client({ connectionString: url.toString() });
      await expect(client.connect()).rejects.toThrow(/permission denied for database/);
      await client.end().catch(() => undefined);
    } finally {
      await withClient(superuser(), (c) => c.query(`drop role ${role}`));
    }
  });

  it('the application role cannot create temporary tables', async () => {
    await withClient(db().appUrl, async (c) => {
      await expect(c.query('create temporary table shadow (x int)')).rejects.toThrow(/permission denied/);
    });
  });
});

describe('the refresher role', () => {
  it.each(['user_id', 'provider', 'provider_user_id', 'provider_email', 'scopes', 'id', 'connected_at'])(
    'may not update %s of a connection',
    async (column) => {
      await withClient(db().refresherUrl, async (c) => {
        await expect(
          c.query(`update user_cloud_storage_tokens set ${column} = ${column} where user_id = $1`, [user]),
        ).rejects.toThrow(/permission denied/);
      });
    },
  );

  it('may update the token material and refresh bookkeeping it owns', async () => {
    await withClient(db().refresherUrl, async (c) => {
      const { rowCount } = await c.query(
        `update user_cloud_storage_tokens
            set tokens_ciphertext = '\\x01', key_version = 1, token_expires_at = now(), last_refreshed_at = now(),
                refresh_failure_count = 0, next_refresh_at = null, last_error = null, status = 'active',
                updated_at = now()
          where user_id = $1 and provider = 'dropbox'`,
        [user],
      );
      expect(rowCount).toBe(1);
    });
  });

  it('may write only its own audit actions', async () => {
    const insert = (c: pg.Client, action: string, resourceType = 'cloud_connection') =>
      c.query(
        `insert into audit_log (user_id, action, resource_type, resource_id)
         select set_config('app.user_id', $1, true)::uuid, $2, $3, 'dropbox'`,
        [user, action, resourceType],
      );
    await withClient(db().refresherUrl, async (c) => {
      await c.query('begin');
      await insert(c, 'cloud_storage.refresh_failed');
      await c.query('commit');
      for (const [action, type] of [
        ['competitor.deleted', 'competitor'],
        ['cloud_storage.connected', 'cloud_connection'],
        ['user.created', 'user'],
        ['cloud_storage.refresh_failed', 'user'],
      ] as const) {
        await c.query('begin');
        await expect(insert(c, action, type)).rejects.toThrow(/row-level security/);
        await c.query('rollback');
      }
    });
  });
});
