import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { routeEntries } from '#functions/routes';
import type { RouteDef } from '#shared/http/route';
import { putBrandStrategy } from '#shared/resources/brand-strategy/service';
import { insertUsers, useTestDatabase } from '../../support/db.ts';
import { call, resourceFactories, rowJson, snapshotUser, useDocumentStore } from './helpers.ts';

/**
 * The cross-tenant matrix, generated from the route table: nothing here lists routes by hand. Every route
 * with `{id}` must name a `resource` that has a factory in helpers.ts, so a new route cannot escape it.
 * `prepare` runs on the fresh test database first (the defence-in-depth run switches row-level security off).
 */
export function crossTenantMatrix(prepare?: (database: string) => Promise<void>): void {
  const db = useTestDatabase();
  useDocumentStore();
  const alice = randomUUID();
  const bob = randomUUID();

  const entries = routeEntries() as Array<[string, RouteDef]>;
  const idRoutes = entries.filter(([, def]) => def.path.includes('{id}'));
  const listRoutes = entries.filter(
    ([, def]) =>
      def.method === 'GET' &&
      def.auth === 'jwt' &&
      !/\{\w+\}/.test(def.path) &&
      def.capabilities.every((c) => c === 'db'),
  );

  const isPage = (def: RouteDef): boolean => {
    if (!def.response) return false;
    const schema = z.toJSONSchema(def.response, { io: 'output', unrepresentable: 'any' }) as {
      properties?: Record<string, unknown>;
    };
    return Boolean(schema.properties?.items && schema.properties?.nextCursor);
  };

  /** Every id Alice owns, to be searched for in whatever Bob receives. */
  const aliceIds: string[] = [];

  beforeAll(async () => {
    await prepare?.(db().name);
    await insertUsers(db().appUrl, alice, bob);
    for (const factory of Object.values(resourceFactories)) aliceIds.push(await factory.create(alice));
    aliceIds.push((await putBrandStrategy(alice, { mission: 'Alice only' })).id);
  });

  describe('the matrix covers the route table', () => {
    it('has routes with {id} and list routes to test', () => {
      expect(idRoutes.length).toBeGreaterThanOrEqual(15);
      expect(listRoutes.length).toBeGreaterThanOrEqual(7);
    });

    it.each(idRoutes)('%s names a resource that has a factory', (key, def) => {
      expect(def.resource, `${key} takes {id} but names no resource`).toBeDefined();
      expect(
        resourceFactories[def.resource!],
        `${key}: resource "${def.resource}" has no factory in test/integration/resources/helpers.ts`,
      ).toBeDefined();
    });
  });

  describe.each(idRoutes)("%s on another user's id", (key, def) => {
    it("answers 404 to Bob and leaves Alice's row and data byte-for-byte unchanged", async () => {
      const factory = resourceFactories[def.resource ?? ''];
      if (!factory) throw new Error(`${key}: resource "${def.resource}" has no factory`);
      const id = await factory.create(alice);
      const row = await rowJson(db().name, factory.table, id);
      const aliceBefore = await snapshotUser(db().name, alice);
      const bobBefore = await snapshotUser(db().name, bob);
      expect(row).toBeDefined();

      const asBob = await call(key, {
        userId: bob,
        params: { id },
        ...(def.body ? { body: factory.patch } : {}),
      });
      expect(asBob.status).toBe(404);
      expect(asBob.headers['content-type']).toBe('application/problem+json');
      expect(JSON.stringify(asBob.body)).not.toContain(id.slice(0, 8));

      expect(await rowJson(db().name, factory.table, id)).toBe(row);
      expect(await snapshotUser(db().name, alice)).toEqual(aliceBefore);
      expect(await snapshotUser(db().name, bob)).toEqual(bobBefore);

      // The same request from the owner succeeds: the 404 above is the tenancy boundary, not a broken route.
      const asAlice = await call(key, {
        userId: alice,
        params: { id },
        ...(def.body ? { body: factory.patch } : {}),
      });
      expect(asAlice.status).toBe(def.status);
    });
  });

  /** Lists Alice is known to have rows in: a sibling `{id}` route's resource was seeded, or the list is seeded here. */
  const seeded = (def: RouteDef): boolean =>
    ['/audit-log', '/brand-strategy/history'].includes(def.path) ||
    idRoutes.some(([, d]) => d.path === `${def.path}/{id}` && d.resource && resourceFactories[d.resource]);

  describe.each(listRoutes)('%s as another user', (key, def) => {
    it("returns none of Alice's rows to Bob", async () => {
      const asBob = await call(key, { userId: bob });
      expect(asBob.status).toBeLessThan(500);
      const text = JSON.stringify(asBob.body ?? null);
      for (const id of [alice, ...aliceIds]) expect(text).not.toContain(id);
      if (isPage(def)) {
        expect(asBob.status).toBe(200);
        expect(asBob.body.items).toEqual([]);
      }
      if (isPage(def) && seeded(def)) {
        // Control: the same list does show Alice her own rows.
        const asAlice = await call(key, { userId: alice });
        expect(asAlice.status).toBe(200);
        expect(aliceIds.some((id) => JSON.stringify(asAlice.body).includes(id))).toBe(true);
      }
    });
  });
}
