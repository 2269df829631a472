import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditRoutes } from '#functions/route-table/audit';
import { brandRoutes } from '#functions/route-table/brand';
import { collectionRoutes } from '#functions/route-table/collections';
import type { RouteDef } from '#shared/http/route';
import { putBrandStrategy } from '#shared/resources/brand-strategy/service';
import { createContent } from '#shared/resources/content/service';
import { insertUsers, useTestDatabase } from '../../support/db.ts';
import { call, type RequestOptions, resourceFactories, useDocumentStore } from './helpers.ts';

/**
 * Database round trips per request: BEGIN, the tenant context, ONE statement, COMMIT. Counted on the pg
 * client for every route of the tenant data API (a count, not a timing).
 */
const db = useTestDatabase();
// Deleting an uploaded asset also deletes its original (not a database round trip).
useDocumentStore();
const user = randomUUID();
let contentId: string;

const tenantRoutes = { ...brandRoutes, ...collectionRoutes, ...auditRoutes } as Record<string, RouteDef>;

/** A successful request for each route; a route of these groups without one fails the test below. */
const requests: Record<string, () => Promise<RequestOptions>> = {
  'brand-strategy/get': async () => ({}),
  'brand-strategy/put': async () => ({ body: { mission: 'Counted' } }),
  'brand-strategy/history': async () => ({ query: { limit: '10' } }),
  'brand-assets/get': async () => ({}),
  'brand-assets/put': async () => ({ body: { brandColors: ['#000000'] } }),
  'audit-log/list': async () => ({}),
};
const collectionBodies: Record<string, () => Record<string, unknown>> = {
  competitors: () => ({ name: `Counted ${randomUUID()}` }),
  'brand-voice-assets': () => ({ title: 'T', category: 'other', content: 'c' }),
  content: () => ({ title: 'T', contentType: 'ad' }),
  'content-calendar': () => ({ contentId, channel: 'blog', scheduledFor: '2030-01-01T00:00:00Z' }),
  'published-posts': () => ({ contentId, channel: 'blog', publishedAt: '2030-01-01T00:00:00Z' }),
};
for (const [key, def] of Object.entries(tenantRoutes)) {
  const [collection, verb] = key.split('/') as [string, string];
  const body = collectionBodies[collection];
  if (!body) continue;
  const factory = resourceFactories[def.resource ?? ''];
  const id = async () => ({ params: { id: await factory!.create(user) } });
  if (verb === 'list') requests[key] = async () => ({ query: { limit: '5' } });
  if (verb === 'create') requests[key] = async () => ({ body: body() });
  if (verb === 'get' || verb === 'delete') requests[key] = id;
  if (verb === 'update') requests[key] = async () => ({ ...(await id()), body: factory!.patch });
}

beforeAll(async () => {
  await insertUsers(db().appUrl, user);
  contentId = (await createContent(user, { title: 'Ref', contentType: 'blog_post' })).id;
  await putBrandStrategy(user, { mission: 'Exists' });
  // Warm the pool and the handlers so that connecting is not counted as a query.
  await call('audit-log/list', { userId: user });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('round trips per tenant request', () => {
  it('every tenant data route has a request here', () => {
    expect(Object.keys(tenantRoutes).filter((key) => !requests[key])).toEqual([]);
  });

  it.each(Object.keys(tenantRoutes))('%s: BEGIN, tenant context, one statement, COMMIT', async (key) => {
    const options = await requests[key]!();
    const spy = vi.spyOn(pg.Client.prototype, 'query');
    const response = await call(key, { userId: user, ...options });
    const statements = spy.mock.calls.map(([q]) =>
      typeof q === 'string' ? q : (q as { text: string }).text,
    );
    spy.mockRestore();
    expect(response.status).toBe(tenantRoutes[key]!.status);
    expect(statements).toHaveLength(4);
    expect(statements[0]).toBe('BEGIN');
    expect(statements[1]).toContain("set_config('app.user_id'");
    expect(statements[3]).toBe('COMMIT');
  });
});
