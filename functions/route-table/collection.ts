import type { z } from 'zod/mini';
import { page } from '#shared/http/schemas';
import { idPathParams, onFirstUse } from '#shared/resources/fields';

const db = ['db'] as const;
type Page<I extends z.ZodMiniType> = ReturnType<typeof page<I>>;

export interface CollectionSpec<
  I extends z.ZodMiniType,
  C extends z.ZodMiniType,
  P extends z.ZodMiniType,
  Q extends z.ZodMiniType,
> {
  /** `/competitors`; the item routes are `/competitors/{id}`. */
  path: `/${string}`;
  tag: string;
  /** The collection in a sentence: `List ${plural}, newest first`. */
  plural: string;
  /** One item with its article: `Create ${one}`. */
  one: string;
  /** The tenant resource `{id}` names, for the cross-tenant test matrix. */
  resource: string;
  /** The schemas, each built on first use (onFirstUse in shared/resources/fields.ts). */
  item: () => I;
  create: () => C;
  patch: () => P;
  listQuery: () => Q;
}

/** The five routes of one collection, typed so that each handler's input follows its route's schemas. */
export type CollectionRoutes<
  A extends string,
  I extends z.ZodMiniType,
  C extends z.ZodMiniType,
  P extends z.ZodMiniType,
  Q extends z.ZodMiniType,
> = {
  [K in `${A}/list`]: Shared & { method: 'GET'; query: Q; status: 200; response: Page<I> };
} & {
  [K in `${A}/create`]: Shared & { method: 'POST'; body: C; status: 201; response: I };
} & {
  [K in `${A}/get`]: Item & { method: 'GET'; status: 200; response: I };
} & {
  [K in `${A}/update`]: Item & { method: 'PATCH'; body: P; status: 200; response: I };
} & {
  [K in `${A}/delete`]: Item & { method: 'DELETE'; status: 204; responseKind: 'empty' };
};

interface Shared {
  path: string;
  auth: 'jwt';
  summary: string;
  tag: string;
  capabilities: typeof db;
}
interface Item extends Shared {
  params: typeof idPathParams;
  resource: string;
}

/**
 * A collection's five routes (list, create, get, patch, delete) from one declaration. The key prefix `area` is
 * the folder of the entry files under functions/ (`competitors` → functions/competitors/list.ts, …). The schemas
 * are getters over the spec's thunks: a route's function builds a schema when a request first needs it (its
 * body or query; responses are only for the OpenAPI document), never at import.
 */
export function collection<
  const A extends string,
  I extends z.ZodMiniType,
  C extends z.ZodMiniType,
  P extends z.ZodMiniType,
  Q extends z.ZodMiniType,
>(area: A, spec: CollectionSpec<I, C, P, Q>): CollectionRoutes<A, I, C, P, Q> {
  const shared = { auth: 'jwt', tag: spec.tag, capabilities: db } as const;
  const itemPath = `${spec.path}/{id}`;
  const item = { ...shared, path: itemPath, params: idPathParams, resource: spec.resource };
  const listPage = onFirstUse(() => page(spec.item()));
  return {
    [`${area}/list`]: {
      ...shared,
      method: 'GET',
      path: spec.path,
      summary: `List ${spec.plural}, newest first`,
      get query() {
        return spec.listQuery();
      },
      status: 200,
      get response() {
        return listPage();
      },
    },
    [`${area}/create`]: {
      ...shared,
      method: 'POST',
      path: spec.path,
      summary: `Create ${spec.one}`,
      get body() {
        return spec.create();
      },
      status: 201,
      get response() {
        return spec.item();
      },
    },
    [`${area}/get`]: {
      ...item,
      method: 'GET',
      summary: `Get ${spec.one}`,
      status: 200,
      get response() {
        return spec.item();
      },
    },
    [`${area}/update`]: {
      ...item,
      method: 'PATCH',
      summary: `Change some fields of ${spec.one}`,
      get body() {
        return spec.patch();
      },
      status: 200,
      get response() {
        return spec.item();
      },
    },
    [`${area}/delete`]: {
      ...item,
      method: 'DELETE',
      summary: `Delete ${spec.one}`,
      status: 204,
      responseKind: 'empty',
    },
  } as CollectionRoutes<A, I, C, P, Q>;
}

/**
 * A route with some fields replaced, its schema getters kept as getters (a spread would call them and build the
 * schemas at import).
 */
export function withChanges<R extends object, E extends object>(route: R, changes: E): Omit<R, keyof E> & E {
  return Object.defineProperties(
    {},
    { ...Object.getOwnPropertyDescriptors(route), ...Object.getOwnPropertyDescriptors(changes) },
  ) as Omit<R, keyof E> & E;
}
