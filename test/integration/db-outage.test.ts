import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineHandler } from '#functions/define-handler';
import { createGateway, listen } from '#local/gateway';
import { freePort } from '#local/ports';
import { type EmbeddedCluster, prepareDatabase, startEmbeddedPostgres } from '#local/postgres';
import { closePools } from '#shared/db/pool';
import { withTenant } from '#shared/db/tenant';
import type { RouteDef } from '#shared/http/route';
import { insertUsers, withClient } from '../support/db.ts';

const USER = '0d0d0d0d-0000-4000-8000-00000000000d';
const writeRoute = {
  method: 'POST',
  path: '/test/writes',
  auth: 'public',
  summary: 'test-only write route',
  tag: 'test',
  capabilities: ['db'],
  body: z.strictObject({ name: z.string() }),
  status: 201,
} as const satisfies RouteDef;
const writeHandler = defineHandler(writeRoute, ({ body }) =>
  withTenant(USER, async (tx) => {
    await tx.query('insert into competitors (user_id, name) values ($1, $2)', [USER, body.name]);
    return { name: body.name };
  }),
);

describe('PostgreSQL stopped and restarted while requests flow', () => {
  let dir: string;
  let cluster: EmbeddedCluster;
  let ownerUrl: string;
  let baseUrl: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'brand-outage-'));
    cluster = await startEmbeddedPostgres(path.join(dir, 'data'), await freePort());
    const urls = await prepareDatabase(cluster.superuserUrl(), 'brand');
    ownerUrl = urls.ownerUrl;
    process.env.APP_DATABASE_URL = urls.appUrl;
    process.env.DB_CONNECT_TIMEOUT_MS = '1000';
    process.env.DB_STATEMENT_TIMEOUT_MS = '2000';
    process.env.DB_POOL_MAX = '4';
    await insertUsers(urls.appUrl, USER);
    const server = createGateway({
      verifyBearer: async () => {
        throw new Error('no jwt routes here');
      },
      extraRoutes: [['test/write', writeRoute, writeHandler as never]],
    });
    baseUrl = `http://127.0.0.1:${await listen(server, 0)}`;
    close = async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    };
  });

  afterAll(async () => {
    await close?.();
    await closePools();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 quickly during the outage, recovers on the same process, loses and duplicates nothing', async () => {
    const results: Array<{ name: string; status: number; ms: number; type?: string }> = [];
    let running = true;
    let counter = 0;
    const worker = async () => {
      while (running) {
        const name = `w-${counter++}`;
        const started = performance.now();
        const res = await fetch(`${baseUrl}/test/writes`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name }),
        });
        const body = (await res.json()) as { type?: string };
        results.push({
          name,
          status: res.status,
          ms: performance.now() - started,
          ...(body.type ? { type: body.type } : {}),
        });
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await new Promise((r) => setTimeout(r, 400));
    await cluster.stop();
    const outageStart = results.length;
    await new Promise((r) => setTimeout(r, 1_500));
    const duringOutage = results.slice(outageStart);
    await cluster.start();
    await new Promise((r) => setTimeout(r, 1_500));
    running = false;
    await Promise.all(workers);

    // Every answer is either an acknowledged write or a 503 problem; never a 500.
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([201, 503]));
    expect(duringOutage.length).toBeGreaterThan(0);
    for (const r of duringOutage) {
      expect(r.status).toBe(503);
      expect(r.type).toMatch(/unavailable$/);
      expect(r.ms).toBeLessThan(5_000);
    }
    // Requests after the restart succeed on the same process.
    expect(results.at(-1)!.status).toBe(201);
    expect(results.slice(-5).every((r) => r.status === 201)).toBe(true);

    const stored = await withClient(
      ownerUrl.replace('brand_owner:brand_owner_local', 'brand_app:brand_app_local'),
      async (c) => {
        await c.query('begin');
        await c.query("select set_config('app.user_id', $1, true)", [USER]);
        const { rows } = await c.query<{ name: string }>('select name from competitors');
        await c.query('commit');
        return rows.map((r) => r.name);
      },
    );
    const acknowledged = results.filter((r) => r.status === 201).map((r) => r.name);
    expect(new Set(stored).size).toBe(stored.length);
    for (const name of acknowledged) expect(stored).toContain(name);
    const attempted = new Set(results.map((r) => r.name));
    for (const name of stored) expect(attempted.has(name)).toBe(true);
  });
});
