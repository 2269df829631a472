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

describe('the refresher role on brand voice assets (the document sweep, migrations 007 and 017)', () => {
  /** An asset of `user` inserted as the application role, in its tenant context. */
  async function asset(status: string, content = '', importJob: string | null = null): Promise<string> {
    return withClient(db().appUrl, async (c) => {
      await c.query('begin');
      await c.query("select set_config('app.user_id', $1, true)", [user]);
      const { rows } = await c.query<{ id: string }>(
        `insert into brand_voice_assets (user_id, title, category, content, status, word_count, import_job,
                                         import_claimed_at)
         values ($1, 'Guide', 'other', $2, $3, $4, $5, case when $5::uuid is null then null else now() end)
         returning id`,
        [user, content, status, content ? 2 : 0, importJob],
      );
      await c.query('commit');
      return rows[0]!.id;
    });
  }
  const stalled = `status = 'failed', failure_code = 'timeout', content = '', word_count = 0,
                   import_job = null, import_claimed_at = null, status_changed_at = now(), updated_at = now()`;

  it('may end a processing document as failed: timeout, emptied, its import job cleared', async () => {
    const id = await asset('processing', 'old text', randomUUID());
    await withClient(db().refresherUrl, async (c) => {
      const { rows } = await c.query(
        `update brand_voice_assets set ${stalled} where id = $1 returning id, user_id, title`,
        [id],
      );
      expect(rows).toEqual([{ id, user_id: user, title: 'Guide' }]);
    });
    await withClient(superuser(), async (c) => {
      const { rows } = await c.query(
        'select status, failure_code, content, word_count, import_job from brand_voice_assets where id = $1',
        [id],
      );
      expect(rows[0]).toEqual({
        status: 'failed',
        failure_code: 'timeout',
        content: '',
        word_count: 0,
        import_job: null,
      });
    });
  });

  it('may not keep the content, set another status or code, or touch a ready document', async () => {
    const processing = await asset('processing', 'old text', randomUUID());
    const ready = await asset('ready', 'final text');
    await withClient(db().refresherUrl, async (c) => {
      for (const set of [
        `status = 'failed', failure_code = 'timeout'`, // content kept
        `status = 'ready', failure_code = null, content = '', word_count = 0, import_job = null, import_claimed_at = null`,
        `status = 'failed', failure_code = 'corrupt', content = '', word_count = 0, import_job = null, import_claimed_at = null`,
      ]) {
        await expect(
          c.query(`update brand_voice_assets set ${set} where id = $1`, [processing]),
        ).rejects.toThrow(/row-level security/);
      }
      expect(
        (await c.query(`update brand_voice_assets set ${stalled} where id = $1`, [ready])).rowCount,
      ).toBe(0);
      expect((await c.query('select id from brand_voice_assets where id = $1', [ready])).rows).toEqual([]);
      await expect(
        c.query('select content from brand_voice_assets where id = $1', [processing]),
      ).rejects.toThrow(/permission denied/);
      await expect(
        c.query(`update brand_voice_assets set title = 'x' where id = $1`, [processing]),
      ).rejects.toThrow(/permission denied/);
    });
  });
});
