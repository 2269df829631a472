import type { Collection, Condition } from '#shared/db/collection';
import { withTenantWrite } from '#shared/db/idempotency';
import { decodeCursor, type Page, type PageRequest } from '#shared/db/pagination';
import { withTenant } from '#shared/db/tenant';
import { NotFound } from '#shared/errors';

/**
 * The rules every collection shares: one tenant transaction per call, a bad cursor refused before the
 * database is touched, and another tenant's id answered exactly like a missing one (404, never 403).
 */
export function collectionService<F extends string, Row extends { id: string }>(
  table: Collection<F, Row>,
  what: string,
) {
  const notFound = (): never => {
    throw new NotFound(what);
  };
  return {
    list(userId: string, query: PageRequest, where: Condition[] = []): Promise<Page<Row>> {
      const after = decodeCursor(userId, query.cursor);
      return withTenant(userId, (tx) => table.list(tx, userId, { limit: query.limit, after }, where));
    },
    create(
      userId: string,
      input: Partial<Record<F, unknown>>,
      audit?: { metadata?: Record<string, unknown> },
    ): Promise<Row> {
      return withTenantWrite(userId, (tx) => table.insert(tx, userId, input, audit));
    },
    async get(userId: string, id: string): Promise<Row> {
      return (await withTenant(userId, (tx) => table.get(tx, userId, id))) ?? notFound();
    },
    async update(userId: string, id: string, patch: Partial<Record<F, unknown>>): Promise<Row> {
      return (await withTenantWrite(userId, (tx) => table.update(tx, userId, id, patch))) ?? notFound();
    },
    async remove(userId: string, id: string): Promise<void> {
      if (!(await withTenantWrite(userId, (tx) => table.remove(tx, userId, id)))) notFound();
    },
  };
}
