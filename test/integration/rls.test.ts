import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { closePools, getPool } from '#shared/db/pool';
import { withTenant } from '#shared/db/tenant';
import { UserNotProvisioned } from '#shared/errors';
import { insertUsers, useTestDatabase, withClient } from '../support/db.ts';

const A = '0a0a0a0a-0000-4000-8000-00000000000a';
const B = '0b0b0b0b-0000-4000-8000-00000000000b';

/** Runs statements as the application role inside a transaction scoped to `userId` (or none). */
async function asTenant<T>(url: string, userId: string | null, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return withClient(url, async (c) => {
    await c.query('begin');
    try {
      if (userId) await c.query("select set_config('app.user_id', $1, true)", [userId]);
      return await fn(c);
    } finally {
      await c.query('rollback');
    }
  });
}

describe('row-level security and roles', () => {
  const db = useTestDatabase();
  let tenantTables: string[] = [];

  beforeAll(async () => {
    await insertUsers(db().appUrl, A, B);
    await withTenant(A, (tx) =>
      tx.query("insert into competitors (user_id, name) values ($1, 'Acme'), ($1, 'Globex')", [A]),
    );
    await withTenant(B, (tx) =>
      tx.query("insert into competitors (user_id, name) values ($1, 'Initech')", [B]),
    );
    await withTenant(A, (tx) =>
      tx.query(
        "insert into content_library (user_id, title, content_type) values ($1, 'A post', 'blog_post')",
        [A],
      ),
    );
    await withTenant(B, (tx) =>
      tx.query(
        "insert into content_library (user_id, title, content_type) values ($1, 'B post', 'blog_post')",
        [B],
      ),
    );
    tenantTables = await withClient(db().ownerUrl, async (c) => {
      const { rows } = await c.query<{ table_name: string }>(
        `select table_name from information_schema.columns
          where table_schema = 'public' and column_name = 'user_id' order by table_name`,
      );
      return rows.map((r) => r.table_name);
    });
  });

  it('every table with user_id (and users itself) has RLS enabled and forced', async () => {
    expect(tenantTables.length).toBeGreaterThanOrEqual(10);
    const rows = await withClient(
      db().ownerUrl,
      async (c) =>
        (
          await c.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
            `select relname, relrowsecurity, relforcerowsecurity from pg_class
            where relnamespace = 'public'::regnamespace and relname = any($1)`,
            [[...tenantTables, 'users']],
          )
        ).rows,
    );
    expect(rows).toHaveLength(tenantTables.length + 1);
    for (const r of rows)
      expect(r, r.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
  });

  it('tenant policies are plain comparisons with USING and WITH CHECK, no subqueries', async () => {
    const policies = await withClient(
      db().ownerUrl,
      async (c) =>
        (
          await c.query<{
            tablename: string;
            roles: string[];
            qual: string | null;
            with_check: string | null;
            cmd: string;
          }>(
            `select tablename, roles::text[] as roles, qual, with_check, cmd from pg_policies where schemaname = 'public'`,
          )
        ).rows,
    );
    for (const table of tenantTables) {
      const tenant = policies.find((p) => p.tablename === table && p.roles.includes('public'));
      expect(tenant, table).toBeDefined();
      expect(tenant!.cmd).toBe('ALL');
      expect(tenant!.qual).toMatch(/current_setting\('app\.user_id'::text, true\)/);
      expect(tenant!.with_check).toMatch(/current_setting\('app\.user_id'::text, true\)/);
      expect(`${tenant!.qual} ${tenant!.with_check}`).not.toMatch(/select/i);
    }
  });

  it('the application role is not superuser, has no BYPASSRLS, owns nothing and inherits nothing that does', async () => {
    await withClient(db().ownerUrl, async (c) => {
      const role = (await c.query('select * from pg_roles where rolname = $1', ['brand_app'])).rows[0];
      expect(role).toMatchObject({
        rolsuper: false,
        rolbypassrls: false,
        rolcreaterole: false,
        rolcreatedb: false,
      });
      const owned = await c.query(
        `select c.relname from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname in ('brand_app', 'brand_refresher')`,
      );
      expect(owned.rows).toEqual([]);
      const memberships = await c.query(
        `select g.rolname, g.rolsuper, g.rolbypassrls from pg_auth_members m
           join pg_roles g on g.oid = m.roleid join pg_roles u on u.oid = m.member
          where u.rolname in ('brand_app', 'brand_refresher')`,
      );
      expect(memberships.rows).toEqual([]);
      const functionsOwned = await c.query(
        `select p.proname from pg_proc p join pg_roles r on r.oid = p.proowner where r.rolname = 'brand_app'`,
      );
      expect(functionsOwned.rows).toEqual([]);
    });
  });

  it('no tenant context → no rows, not an error that leaks data', async () => {
    const count = await asTenant(
      db().appUrl,
      null,
      async (c) => (await c.query('select count(*)::int n from competitors')).rows[0].n,
    );
    expect(count).toBe(0);
  });

  it('under A, an unfiltered select returns only A’s rows and B’s ids are untouchable', async () => {
    const names = await asTenant(db().appUrl, A, async (c) =>
      (await c.query('select name from competitors order by name')).rows.map((r) => r.name),
    );
    expect(names).toEqual(['Acme', 'Globex']);
    await asTenant(db().appUrl, A, async (c) => {
      const upd = await c.query("update competitors set name = 'pwned' where user_id = $1", [B]);
      const del = await c.query('delete from competitors where user_id = $1', [B]);
      expect(upd.rowCount).toBe(0);
      expect(del.rowCount).toBe(0);
    });
  });

  it('an insert or update carrying B’s user_id under A fails the policy', async () => {
    await expect(
      asTenant(db().appUrl, A, (c) =>
        c.query("insert into competitors (user_id, name) values ($1, 'Sneaky')", [B]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      asTenant(db().appUrl, A, (c) => c.query('update competitors set user_id = $1', [B])),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('a composite foreign key refuses a row that references another tenant’s row', async () => {
    const bContent = await withTenant(
      B,
      async (tx) => (await tx.query('select id from content_library')).rows[0].id as string,
    );
    await expect(
      withTenant(A, (tx) =>
        tx.query(
          "insert into content_calendar (user_id, content_id, channel, scheduled_for) values ($1, $2, 'blog', now())",
          [A, bContent],
        ),
      ),
    ).rejects.toMatchObject({ status: 422 });
  });

  it('unique constraints are per tenant: A may reuse a name B already has', async () => {
    await withTenant(A, (tx) =>
      tx.query("insert into competitors (user_id, name) values ($1, 'initech')", [A]),
    );
    await expect(
      withTenant(A, (tx) => tx.query("insert into competitors (user_id, name) values ($1, 'INITECH')", [A])),
    ).rejects.toMatchObject({ status: 409 });
  });

  it('the tenant id is a bind parameter: an injection attempt fails the uuid cast and aborts', async () => {
    await expect(withTenant("x';RESET ROLE;--", async () => 'ran')).rejects.toMatchObject({ status: 401 });
    await expect(
      asTenant(db().appUrl, "x';RESET ROLE;--", (c) => c.query('select count(*) from competitors')),
    ).rejects.toMatchObject({ code: '22P02' });
  });

  it('a transaction-local context does not survive into the next transaction on the same connection', async () => {
    await withClient(db().appUrl, async (c) => {
      await c.query('begin');
      await c.query("select set_config('app.user_id', $1, true)", [A]);
      expect((await c.query('select count(*)::int n from competitors')).rows[0].n).toBeGreaterThan(0);
      await c.query('commit');
      await c.query('begin');
      expect((await c.query('select count(*)::int n from competitors')).rows[0].n).toBe(0);
      await c.query('commit');
    });
  });

  it('1,000 alternating A/B transactions over a pool of 2 never see the other tenant', async () => {
    await closePools();
    process.env.DB_POOL_MAX = '2';
    // 1,000 transactions queue for 2 connections: waiting for a free one is not a connect timeout here.
    process.env.DB_CONNECT_TIMEOUT_MS = '120000';
    const pool = await getPool('app');
    expect(pool.options.max).toBe(2);
    const seen = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => {
        const me = i % 2 === 0 ? A : B;
        return withTenant(me, async (tx) => {
          const { rows } = await tx.query<{ user_id: string; setting: string }>(
            "select user_id, current_setting('app.user_id') as setting from competitors",
          );
          return rows.every((r) => r.user_id === me && r.setting === me) && rows.length > 0;
        });
      }),
    );
    expect(seen.every(Boolean)).toBe(true);
    await closePools();
    delete process.env.DB_POOL_MAX;
    delete process.env.DB_CONNECT_TIMEOUT_MS;
  });

  it('a warm pool serving A, then B failing before its context is set, shows B none of A’s rows', async () => {
    await withTenant(A, async (tx) => tx.query('select 1 from competitors'));
    // B's request fails before its context is set (an invalid id is refused up front)...
    await expect(withTenant('not-a-uuid', async () => 'ran')).rejects.toBeDefined();
    // ...and a transaction without a context on the same pool sees nothing of A's.
    const pool = await getPool('app');
    const client = await pool.connect();
    try {
      const { rows } = await client.query('select count(*)::int n from competitors');
      expect(rows[0].n).toBe(0);
    } finally {
      client.release();
    }
  });

  it('a user without a row is reported, so the HTTP layer can provision or refuse it', async () => {
    await expect(
      withTenant('0c0c0c0c-0000-4000-8000-00000000000c', async () => 'ran'),
    ).rejects.toBeInstanceOf(UserNotProvisioned);
  });

  it('the application role cannot TRUNCATE, cannot SET ROLE to the refresher, cannot touch audit history', async () => {
    await expect(asTenant(db().appUrl, A, (c) => c.query('truncate competitors'))).rejects.toMatchObject({
      code: '42501',
    });
    await expect(asTenant(db().appUrl, A, (c) => c.query('set role brand_refresher'))).rejects.toMatchObject({
      code: '42501',
    });
    await expect(
      asTenant(db().appUrl, A, (c) => c.query('set role brand_oauth_broker')),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      asTenant(db().appUrl, A, (c) => c.query('update audit_log set action = action')),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(asTenant(db().appUrl, A, (c) => c.query('delete from audit_log'))).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('the refresher role reaches only the token and audit tables', async () => {
    await expect(
      withClient(db().refresherUrl, (c) => c.query('select * from competitors')),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(withClient(db().refresherUrl, (c) => c.query('select * from users'))).rejects.toMatchObject({
      code: '42501',
    });
    await expect(
      withClient(db().refresherUrl, (c) => c.query('select * from audit_log')),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      withClient(db().refresherUrl, (c) => c.query('select count(*) from user_cloud_storage_tokens')),
    ).resolves.toBeDefined();
  });

  it('SECURITY DEFINER functions pin search_path, views are security_invoker, nothing is LEAKPROOF', async () => {
    await withClient(db().ownerUrl, async (c) => {
      const definers = await c.query<{ proname: string; proconfig: string[] | null }>(
        `select proname, proconfig from pg_proc where pronamespace = 'public'::regnamespace and prosecdef`,
      );
      expect(definers.rows.length).toBeGreaterThan(0);
      for (const f of definers.rows)
        expect(f.proconfig?.some((s) => s.startsWith('search_path='))).toBe(true);
      const views = await c.query<{ relname: string; reloptions: string[] | null }>(
        `select relname, reloptions from pg_class where relnamespace = 'public'::regnamespace and relkind = 'v'`,
      );
      for (const v of views.rows) expect(v.reloptions ?? []).toContain('security_invoker=true');
      const leakproof = await c.query(
        `select proname from pg_proc where pronamespace = 'public'::regnamespace and proleakproof`,
      );
      expect(leakproof.rows).toEqual([]);
    });
  });

  it('no session-level SET of the tenant anywhere in the code', async () => {
    const { execSync } = await import('node:child_process');
    const hits = execSync(
      'grep -rniE "(^|[^_])set (session )?app\\.user_id|set_config\\(\'app\\.user_id\', *[^,]+, *false" shared functions local || true',
      { encoding: 'utf8' },
    );
    expect(hits).toBe('');
  });
});
