import { crossTenantMatrix } from '../resources/cross-tenant-matrix.ts';
import { asSuperuser } from '../resources/helpers.ts';

/**
 * Defence in depth (issue 15, finding 8; SECURITY.md §6, 49): every statement on tenant rows names `user_id`
 * itself, so row-level security is the second wall, not the only one. The whole cross-tenant matrix runs again
 * on a database whose tenant tables have row-level security switched off: a statement that relied on RLS alone
 * would show or change another user's row here.
 */
crossTenantMatrix(async (database) => {
  const tables = await asSuperuser<{ name: string }>(
    database,
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and c.relrowsecurity`,
  );
  if (tables.length < 10) throw new Error(`expected the tenant tables, found ${tables.length}`);
  for (const { name } of tables) {
    await asSuperuser(
      database,
      `alter table public."${name}" no force row level security, disable row level security`,
    );
  }
});
