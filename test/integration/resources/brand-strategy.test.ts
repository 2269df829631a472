import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { brandStrategy } from '#shared/resources/brand-strategy/schemas';
import {
  getBrandAssets,
  getBrandStrategy,
  listBrandStrategyHistory,
  putBrandAssets,
  putBrandStrategy,
} from '#shared/resources/brand-strategy/service';
import { insertUsers, useTestDatabase, withClient } from '../../support/db.ts';
import { asSuperuser, call } from './helpers.ts';

const db = useTestDatabase();
let user: string;

const newUser = async () => {
  const id = randomUUID();
  await insertUsers(db().appUrl, id);
  return id;
};

beforeAll(async () => {
  user = await newUser();
});

describe('brand strategy versions', () => {
  it('404s before the first version, then starts at version 1 with empty defaults', async () => {
    await expect(getBrandStrategy(user)).rejects.toMatchObject({ status: 404 });
    expect(await getBrandAssets(user)).toEqual({ brandColors: [], brandFonts: [], logoUrl: null });
    const first = await putBrandStrategy(user, { mission: 'Make brands calm' });
    expect(brandStrategy.parse(first)).toEqual({
      id: expect.any(String),
      version: 1,
      mission: 'Make brands calm',
      vision: '',
      values: [],
      targetAudience: '',
      positioning: '',
      toneOfVoice: '',
      brandColors: [],
      brandFonts: [],
      logoUrl: null,
      createdAt: expect.any(String),
    });
    expect(await getBrandStrategy(user)).toEqual(first);
  });

  it('adds a version per write, carries omitted fields over and lists history newest first', async () => {
    const u = await newUser();
    const v1 = await putBrandStrategy(u, {
      mission: 'M1',
      values: ['care'],
      logoUrl: 'https://cdn.example/logo.png',
    });
    const v2 = await putBrandStrategy(u, { vision: 'V2' });
    const v3 = await putBrandStrategy(u, { mission: 'M3', logoUrl: null });
    expect([v1.version, v2.version, v3.version]).toEqual([1, 2, 3]);
    expect(v2).toMatchObject({
      mission: 'M1',
      vision: 'V2',
      values: ['care'],
      logoUrl: 'https://cdn.example/logo.png',
    });
    expect(v3).toMatchObject({ mission: 'M3', vision: 'V2', values: ['care'], logoUrl: null });
    expect(await getBrandStrategy(u)).toEqual(v3);
    const history = await listBrandStrategyHistory(u, { limit: 2 });
    expect(history.items).toEqual([v3, v2]);
    const rest = await listBrandStrategyHistory(u, { limit: 2, cursor: history.nextCursor! });
    expect(rest).toEqual({ items: [v1], nextCursor: null });
    // Every version is still stored exactly as written.
    expect(
      (
        await asSuperuser(
          db().name,
          'select version, mission from brand_strategy where user_id = $1 order by version',
          [u],
        )
      ).map((r) => [r.version, r.mission]),
    ).toEqual([
      [1, 'M1'],
      [2, 'M1'],
      [3, 'M3'],
    ]);
  });

  it('brand assets read and write the asset subset, each write adding a strategy version', async () => {
    const u = await newUser();
    await putBrandStrategy(u, { mission: 'Keep me', brandFonts: ['Inter'] });
    const assets = await putBrandAssets(u, {
      brandColors: ['#FF0000', '#00ff00'],
      logoUrl: 'https://x.example/l.svg',
    });
    expect(assets).toEqual({
      brandColors: ['#FF0000', '#00ff00'],
      brandFonts: ['Inter'],
      logoUrl: 'https://x.example/l.svg',
    });
    expect(await getBrandAssets(u)).toEqual(assets);
    expect(await getBrandStrategy(u)).toMatchObject({
      version: 2,
      mission: 'Keep me',
      brandColors: ['#FF0000', '#00ff00'],
    });
    const audit = await asSuperuser(
      db().name,
      'select action, resource_id, metadata from audit_log where user_id = $1 order by created_at',
      [u],
    );
    expect(audit.map((a) => [a.action, a.metadata])).toEqual([
      ['brand_strategy.updated', { fields: ['mission', 'brandFonts'], version: 1 }],
      ['brand_strategy.updated', { fields: ['brandColors', 'logoUrl'], version: 2 }],
    ]);
  });

  it('serialises concurrent writers of one user: every write lands as its own version and none is lost', async () => {
    const u = await newUser();
    const writes = Array.from({ length: 12 }, (_, i) => putBrandStrategy(u, { values: [`w${i}`] }));
    const fields = ['mission', 'vision', 'positioning', 'toneOfVoice'] as const;
    const distinct = fields.map((f) => putBrandStrategy(u, { [f]: `set ${f}` }));
    const results = await Promise.all([...writes, ...distinct]);
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 16 }, (_, i) => i + 1),
    );
    // Writers of different fields each carried over the others' committed changes.
    const latest = await getBrandStrategy(u);
    expect(latest.version).toBe(16);
    for (const f of fields) expect(latest[f]).toBe(`set ${f}`);
    const audit = await asSuperuser(
      db().name,
      'select count(*)::int as n from audit_log where user_id = $1',
      [u],
    );
    expect(audit[0]!.n).toBe(16);
  });

  it('the application role can neither rewrite nor delete a version', async () => {
    const u = await newUser();
    const v1 = await putBrandStrategy(u, { mission: 'Original' });
    await withClient(db().appUrl, async (c) => {
      for (const sql of [
        "update brand_strategy set mission = 'Rewritten' where id = $1",
        'delete from brand_strategy where id = $1',
      ]) {
        await c.query('begin');
        await c.query("select set_config('app.user_id', $1, true)", [u]);
        await expect(c.query(sql, [v1.id])).rejects.toMatchObject({ code: '42501' });
        await c.query('rollback');
      }
    });
    expect(await getBrandStrategy(u)).toEqual(v1);
  });
});

describe('brand strategy over the handlers', () => {
  it('PUT, GET and history answer per the contract', async () => {
    const u = await newUser();
    expect((await call('brand-strategy/get', { userId: u })).status).toBe(404);
    const put = await call('brand-strategy/put', {
      userId: u,
      body: { toneOfVoice: 'Warm', brandColors: ['#123ABC'] },
    });
    expect(put).toMatchObject({
      status: 200,
      body: { version: 1, toneOfVoice: 'Warm', brandColors: ['#123ABC'] },
    });
    expect(put.headers['content-type']).toBe('application/json');
    expect((await call('brand-strategy/get', { userId: u })).body).toEqual(put.body);
    const assets = await call('brand-assets/put', { userId: u, body: { brandFonts: ['Lora'] } });
    expect(assets).toMatchObject({
      status: 200,
      body: { brandColors: ['#123ABC'], brandFonts: ['Lora'], logoUrl: null },
    });
    expect((await call('brand-assets/get', { userId: u })).body).toEqual(assets.body);
    const history = await call('brand-strategy/history', { userId: u, query: { limit: '1' } });
    expect(history.status).toBe(200);
    expect(history.body.items.map((v: { version: number }) => v.version)).toEqual([2]);
    expect(history.body.nextCursor).toEqual(expect.any(String));
  });

  it('refuses bad strategy fields and names each of them', async () => {
    const u = await newUser();
    const response = await call('brand-strategy/put', {
      userId: u,
      body: {
        mission: 'x'.repeat(5001),
        brandColors: ['#12345', 'red'],
        logoUrl: 'http://insecure.example/logo.png',
        version: 7,
        userId: randomUUID(),
      },
    });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(
      ['brandColors.0', 'brandColors.1', 'logoUrl', 'mission', 'userId', 'version'].sort(),
    );
    expect((await call('brand-strategy/get', { userId: u })).status).toBe(404);
    const assets = await call('brand-assets/put', { userId: u, body: { mission: 'not an asset field' } });
    expect(assets.status).toBe(400);
    expect(assets.body.errors).toEqual([{ path: 'mission', message: 'Unknown field' }]);
  });
});
