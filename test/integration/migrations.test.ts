import { describe, expect, it } from 'vitest';
import { jobs } from '#functions/jobs';
import { MIGRATION_LOCK_TIMEOUT_MS, migrate } from '#shared/db/migrate';
import { createTestDatabase, withClient } from '../support/db.ts';

/** A canonical description of the schema: tables, columns, constraints, indexes, policies, functions, grants. */
async function schemaSnapshot(ownerUrl: string): Promise<string> {
  return withClient(ownerUrl, async (c) => {
    const queries = [
      `select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns
                where table_schema = 'public' and table_name <> 'pgmigrations' order by 1, 2`,
      `select conrelid::regclass::text as tbl, conname, pg_get_constraintdef(oid) as def from pg_constraint
                where connamespace = 'public'::regnamespace and conrelid::regclass::text <> 'pgmigrations' order by 1, 2`,
      `select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' and tablename <> 'pgmigrations' order by 1, 2`,
      `select tablename, policyname, roles::text, cmd, qual, with_check from pg_policies where schemaname = 'public' order by 1, 2`,
      `select proname, pg_get_function_identity_arguments(oid) as args, prosecdef, proconfig::text from pg_proc
                where pronamespace = 'public'::regnamespace order by 1`,
      `select table_name, grantee, privilege_type from information_schema.role_table_grants
                where table_schema = 'public' and grantee like 'brand_%' order by 1, 2, 3`,
      `select relname, relrowsecurity, relforcerowsecurity from pg_class
                where relnamespace = 'public'::regnamespace and relkind = 'r' and relname <> 'pgmigrations' order by 1`,
    ];
    const parts: unknown[] = [];
    // One statement at a time: a pg client runs queries sequentially.
    for (const sql of queries) parts.push((await c.query(sql)).rows);
    return JSON.stringify(parts);
  });
}

describe('migrations', () => {
  it('down to zero and up again leave the same schema', async () => {
    const db = await createTestDatabase();
    const before = await schemaSnapshot(db.ownerUrl);
    expect(before).toContain('user_cloud_storage_tokens');

    const undone = await migrate({
      ownerUrl: db.ownerUrl,
      direction: 'down',
      count: Number.POSITIVE_INFINITY,
    });
    expect(undone.length).toBeGreaterThanOrEqual(3);
    const empty = await withClient(
      db.ownerUrl,
      async (c) =>
        (
          await c.query(
            `select count(*)::int n from pg_tables where schemaname = 'public' and tablename <> 'pgmigrations'`,
          )
        ).rows[0].n,
    );
    expect(empty).toBe(0);

    const redone = await migrate({ ownerUrl: db.ownerUrl });
    expect(redone).toEqual([...undone].reverse());
    expect(await schemaSnapshot(db.ownerUrl)).toBe(before);
  });

  it('is idempotent: a second run applies nothing', async () => {
    const db = await createTestDatabase();
    expect(await migrate({ ownerUrl: db.ownerUrl })).toEqual([]);
  });
});

describe('migration lock', () => {
  it('gives up on a held migration lock after the lock timeout instead of waiting forever', async () => {
    const db = await createTestDatabase();
    // Another migrate run (or a stuck session) holds node-pg-migrate's advisory lock on this database.
    await withClient(db.ownerUrl, async (holder) => {
      await holder.query('select pg_advisory_lock(7241865325823964)');
      const failure = await migrate({ ownerUrl: db.ownerUrl, lockTimeoutMs: 200 }).then(
        () => undefined,
        (error: unknown) => error as { code?: string; message?: string },
      );
      expect(failure?.code ?? failure?.message).toMatch(/55P03|lock timeout/);
      await holder.query('select pg_advisory_unlock(7241865325823964)');
    });
    // Free again: the run that was refused can simply be repeated.
    expect(await migrate({ ownerUrl: db.ownerUrl, lockTimeoutMs: 200 })).toEqual([]);
  });

  it('has a finite default lock timeout, shorter than the migrate function may run', () => {
    expect(MIGRATION_LOCK_TIMEOUT_MS).toBeGreaterThan(0);
    expect(MIGRATION_LOCK_TIMEOUT_MS).toBeLessThan(jobs['migrate/handler'].timeoutSeconds * 1000);
  });
});
