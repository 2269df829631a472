import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, withClient } from '../support/db.ts';

/**
 * Expand, then contract (README "Migrations"): the deploy runs the migrations before the new code serves, so
 * for a while the previous release's functions run against the new schema. Its statements, taken from git at the
 * last release (test/support/extract-release-queries.ts wrote the fixture), must still plan against the migrated
 * schema as the role that ran them: tables, columns, functions and privileges all still there. EXPLAIN
 * (GENERIC_PLAN) parses, plans and checks permissions without executing anything.
 */
interface Fixture {
  commit: string;
  skippedDynamic: number;
  statements: Array<{ file: string; role: 'brand_app' | 'brand_refresher'; sql: string }>;
}
const fixture = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, '../fixtures/previous-release-queries.json'), 'utf8'),
) as Fixture;

let urls: { brand_app: string; brand_refresher: string };
beforeAll(async () => {
  const db = await createTestDatabase();
  urls = { brand_app: db.appUrl, brand_refresher: db.refresherUrl };
});

describe(`the previous release's queries (${fixture.commit.slice(0, 7)}) against the migrated schema`, () => {
  it('has statements for both runtime roles', () => {
    expect(fixture.statements.length).toBeGreaterThan(15);
    expect(new Set(fixture.statements.map((s) => s.role))).toEqual(new Set(['brand_app', 'brand_refresher']));
  });

  it.each(fixture.statements.map((s) => [`${s.role} ${s.file}: ${s.sql.slice(0, 60)}…`, s] as const))(
    '%s',
    async (_name, statement) => {
      await withClient(urls[statement.role], async (client) => {
        const plan = await client.query(`explain (generic_plan) ${statement.sql}`);
        expect(plan.rows.length).toBeGreaterThan(0);
      });
    },
  );
});
