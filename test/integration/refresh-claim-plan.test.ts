import { describe, expect, it } from 'vitest';
import { DUE_IDS_SQL } from '#shared/cloud-storage/connection-store';
import { useTestDatabase, withClient } from '../support/db.ts';
import { superuserUrl } from '../support/vault-rows.ts';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

/**
 * Scale on paper (issue 17): with 1,000,000 connections the scheduler's claim reads the due instant from its
 * partial index alone (an index-only scan), never the table. Rows are generated in SQL (generate_series);
 * foreign-key triggers are off for the load only (session_replication_role), as for a bulk restore.
 */
describe('refresh claim plan', { timeout: 300_000 }, () => {
  const db = useTestDatabase();

  it('stays index-only on the due predicate with 1,000,000 connections', async () => {
    await withClient(superuserUrl(db().name), async (c) => {
      await c.query('set session_replication_role = replica');
      await c.query(
        `insert into user_cloud_storage_tokens
           (user_id, provider, status, tokens_ciphertext, key_version, token_expires_at, provider_user_id,
            connected_at, last_used_at, last_refreshed_at)
         select gen_random_uuid(), (array['google_drive', 'onedrive', 'dropbox'])[1 + i % 3],
                case when i % 50 = 0 then 'needs_reauth' else 'active' end, '\\x00'::bytea, 1,
                now() + (i % 720) * interval '1 minute', 'acct', now() - interval '30 days',
                case when i % 10 = 0 then now() - interval '1 hour' end,
                now() - (i % 8) * interval '1 day'
           from generate_series(1, 1000000) as i`,
      );
      await c.query('set session_replication_role = origin');
      await c.query('vacuum analyze user_cloud_storage_tokens');
      const { rows: due } = await c.query<{ n: number }>(
        "select count(*)::int as n from user_cloud_storage_tokens where status = 'active' and refresh_due_at <= now()",
      );
      const n = due[0]!.n;
      expect(n).toBeGreaterThan(0); // some rows are due, most are not
      expect(n).toBeLessThan(500_000);

      const explain = async (sql: string) => {
        const { rows } = await c.query(`explain (format json) ${sql}`);
        return nodes((rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]!.Plan);
      };
      const select = DUE_IDS_SQL.replace('$1', '500').replace('$2::text[]', "'{}'::text[]");
      const plan = await explain(select);
      expect(plan.map((p) => p['Node Type'])).toContain('Index Only Scan');
      expect(plan.find((p) => p['Node Type'] === 'Index Only Scan')!['Index Name']).toBe(
        'user_cloud_storage_tokens_due_at',
      );
      expect(plan.map((p) => p['Node Type'])).not.toContain('Seq Scan');

      // The whole claim (the lease update around it) reads the due rows the same way.
      const claim = await explain(
        `with due as (${select}) update user_cloud_storage_tokens t
            set refresh_claimed_until = now() + interval '15 minutes'
           from due where t.id = due.id and t.status = 'active' and t.refresh_due_at <= now()
         returning t.id`,
      );
      expect(claim.map((p) => p['Node Type'])).toContain('Index Only Scan');
      expect(claim.map((p) => p['Node Type'])).not.toContain('Seq Scan');
    });
  });
});
