import { type HttpProblem, UnprocessableReference } from '#shared/errors';
import { redact } from '#shared/logger';
import { mapDbError } from './errors.ts';
import { cursorAtSql, encodeCursor, type Page, type Position, toPage } from './pagination.ts';
import type { Tx } from './tenant.ts';

/**
 * SQL for a tenant-owned table served as a collection. Every statement is built from the table's fixed column
 * map (never from request keys), filters by `user_id` explicitly on top of row-level security, and does its
 * whole job in ONE round trip: a mutation writes its row and its audit event in one statement with
 * data-modifying CTEs, so both commit or neither does.
 */
export type ColumnType = 'text' | 'text[]' | 'uuid' | 'timestamptz' | 'jsonb' | 'integer';

export interface Column {
  column: string;
  type: ColumnType;
}

export interface CollectionSpec<F extends string> {
  table: string;
  /** Audit resource type and action prefix: `competitor` → `competitor.created`. */
  resourceType: string;
  /** Every API field stored in the table (besides id and timestamps) → its column. */
  columns: Record<F, Column>;
  /** Fields that hold the id of another row of the same tenant → that row's table. */
  references?: Partial<Record<F, string>>;
  /** Constraint or index name → the problem it means (checked before the generic mapping). */
  constraints?: Record<string, () => HttpProblem>;
  /** Whether the table has `updated_at`. */
  mutable: boolean;
  /** Columns that can be large (documents): list pages are also bounded by their total size. */
  largeColumns?: string[];
}

/** The most bytes of large columns one list page carries (besides at least one item). */
export const LIST_PAGE_BYTES = 4 * 1024 * 1024;

export interface Condition {
  column: string;
  type: ColumnType;
  op: '=' | '>=' | '<=';
  value: unknown;
}

class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type?: ColumnType): string {
    this.values.push(type === 'jsonb' && value !== null ? JSON.stringify(value) : value);
    return `$${this.values.length}${type ? `::${type === 'text[]' ? 'text[]' : type}` : ''}`;
  }
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export interface Collection<F extends string, Row extends { id: string }> {
  spec: CollectionSpec<F>;
  /** The select list that turns a row aliased `alias` into its API shape. */
  projection(alias: string): string;
  get(tx: Tx, userId: string, id: string): Promise<Row | null>;
  list(
    tx: Tx,
    userId: string,
    page: { limit: number; after?: Position | undefined },
    where?: Condition[],
  ): Promise<Page<Row>>;
  /** Inserts a row; `readOnly` values are set by the service, never by a request. */
  insert(
    tx: Tx,
    userId: string,
    values: Partial<Record<F, unknown>>,
    audit?: { metadata?: Record<string, unknown> },
  ): Promise<Row>;
  /** Updates the given fields; null when the row does not exist for this tenant. */
  update(tx: Tx, userId: string, id: string, values: Partial<Record<F, unknown>>): Promise<Row | null>;
  /** Deletes a row; false when it does not exist for this tenant. */
  remove(tx: Tx, userId: string, id: string): Promise<boolean>;
}

export function defineCollection<F extends string, Row extends { id: string }>(
  spec: CollectionSpec<F>,
): Collection<F, Row> {
  const fields = Object.keys(spec.columns) as F[];
  const table = ident(spec.table);
  const references = Object.entries(spec.references ?? {}) as Array<[F, string]>;

  const projection = (alias: string): string =>
    [
      `${alias}.id`,
      ...fields.map((f) => `${alias}.${ident(spec.columns[f].column)} as ${ident(f)}`),
      `${alias}.created_at as "createdAt"`,
      ...(spec.mutable ? [`${alias}.updated_at as "updatedAt"`] : []),
    ].join(', ');

  const provided = (values: Partial<Record<F, unknown>>): F[] =>
    fields.filter((f) => values[f] !== undefined);

  const constraintProblems = (): Record<string, HttpProblem> =>
    Object.fromEntries(Object.entries(spec.constraints ?? {}).map(([name, make]) => [name, make()]));

  const run = async <T>(tx: Tx, sql: string, params: Params): Promise<T[]> => {
    try {
      return (await tx.query(sql, params.values)).rows as T[];
    } catch (error) {
      return mapDbError(error, constraintProblems());
    }
  };

  /**
   * A CTE that lists the referencing fields whose target is not one of the tenant's rows. Checked up front so
   * that every bad reference is named; the composite foreign keys stay the guarantee (and their violation,
   * e.g. after a concurrent delete, maps to the same 422).
   */
  const badReferences = (p: Params, userParam: string, values: Partial<Record<F, unknown>>): string => {
    const checks = references
      .filter(([field]) => values[field] !== undefined && values[field] !== null)
      .map(([field, target]) => {
        const value = p.add(values[field], 'uuid');
        return `case when not exists (select 1 from ${ident(target)} t where t.user_id = ${userParam} and t.id = ${value}) then '${field}' end`;
      });
    return `bad as (select array_remove(array[${checks.join(', ') || 'null'}]::text[], null) as refs)`;
  };

  const auditInsert = (p: Params, source: string, action: string, metadata: Record<string, unknown>) => {
    const ids = references
      .map(([field]) => `'${field}', ${source}.${ident(spec.columns[field].column)}`)
      .join(', ');
    // Metadata is ids and field names by construction; the log redaction still runs, as in recordAudit.
    const meta = `${p.add(redact(metadata), 'jsonb')}${ids ? ` || jsonb_strip_nulls(jsonb_build_object(${ids}))` : ''}`;
    return `audit as (insert into audit_log (user_id, action, resource_type, resource_id, metadata)
      select ${source}.user_id, ${p.add(`${spec.resourceType}.${action}`)}, ${p.add(spec.resourceType)}, ${source}.id::text, ${meta}
      from ${source})`;
  };

  const throwBadReferences = (refs: string[] | null | undefined) => {
    if (refs && refs.length > 0)
      throw new UnprocessableReference(refs.map((path) => ({ path, message: 'Unknown reference' })));
  };

  return {
    spec,
    projection,

    async get(tx, userId, id) {
      const p = new Params();
      const sql = `select ${projection('r')} from ${table} r where r.user_id = ${p.add(userId, 'uuid')} and r.id = ${p.add(id, 'uuid')}`;
      return (await run<Row>(tx, sql, p))[0] ?? null;
    },

    async list(tx, userId, page, where = []) {
      const p = new Params();
      const conditions = [`r.user_id = ${p.add(userId, 'uuid')}`];
      for (const c of where) conditions.push(`r.${ident(c.column)} ${c.op} ${p.add(c.value, c.type)}`);
      if (page.after) {
        conditions.push(
          `(r.created_at, r.id) < (${p.add(page.after.at, 'timestamptz')}, ${p.add(page.after.id, 'uuid')})`,
        );
      }
      const limit = p.add(page.limit + 1, 'integer');
      const order = 'order by r.created_at desc, r.id desc';
      if (!spec.largeColumns?.length) {
        const sql = `select ${projection('r')}, ${cursorAtSql('r')} as "_cursorAt" from ${table} r
          where ${conditions.join(' and ')} ${order} limit ${limit}`;
        return toPage(await run<Row & { id: string; _cursorAt: string }>(tx, sql, p), page.limit, userId);
      }
      // Large columns: a page also stops before LIST_PAGE_BYTES (the first item always fits), so a list of
      // 1 MiB documents stays well inside Lambda's 6 MB response limit. `_fetched` tells whether rows were cut.
      const size = spec.largeColumns.map((c) => `coalesce(octet_length(r.${ident(c)}), 0)`).join(' + ');
      const sql = `with candidates as (
          select r.*, sum(${size}) over (${order} rows unbounded preceding) - (${size}) as "_before"
          from ${table} r where ${conditions.join(' and ')} ${order} limit ${limit}
        )
        select ${projection('r')}, ${cursorAtSql('r')} as "_cursorAt", (select count(*) from candidates) as "_fetched"
        from candidates r where r."_before" < ${p.add(LIST_PAGE_BYTES, 'integer')} ${order}`;
      const rows = await run<Row & { id: string; _cursorAt: string; _fetched: number }>(tx, sql, p);
      const fetched = rows[0]?._fetched ?? 0;
      const fit = rows.map(({ _fetched, ...row }) => row as Row & { id: string; _cursorAt: string });
      // Rows cut by the byte budget mean there is more, exactly like a (limit + 1)th row does.
      if (fetched > fit.length && fit.length <= page.limit) {
        const items = fit.map(({ _cursorAt, ...item }) => item as unknown as Row);
        const last = fit.at(-1)!;
        return { items, nextCursor: encodeCursor(userId, { at: last._cursorAt, id: last.id }) };
      }
      return toPage(fit, page.limit, userId);
    },

    async insert(tx, userId, values, audit) {
      const p = new Params();
      const user = p.add(userId, 'uuid');
      const set = provided(values);
      const columns = ['user_id', ...set.map((f) => ident(spec.columns[f].column))];
      const placeholders = [user, ...set.map((f) => p.add(values[f], spec.columns[f].type))];
      const bad = badReferences(p, user, values);
      const sql = `with ${bad},
        ins as (insert into ${table} (${columns.join(', ')})
          select ${placeholders.join(', ')} from bad where cardinality(bad.refs) = 0 returning *),
        ${auditInsert(p, 'ins', 'created', { fields: set, ...audit?.metadata })}
        select bad.refs as "_badRefs", ${projection('r')} from bad left join ins r on true`;
      const [result] = await run<Row & { _badRefs: string[] }>(tx, sql, p);
      throwBadReferences(result?._badRefs);
      const { _badRefs, ...row } = result!;
      if ((row as { id: unknown }).id === null) throw new Error(`Insert into ${spec.table} wrote no row`);
      return row as unknown as Row;
    },

    async update(tx, userId, id, values) {
      const p = new Params();
      const user = p.add(userId, 'uuid');
      const target = p.add(id, 'uuid');
      const set = provided(values);
      const assignments = set.map(
        (f) => `${ident(spec.columns[f].column)} = ${p.add(values[f], spec.columns[f].type)}`,
      );
      if (spec.mutable) assignments.push('updated_at = clock_timestamp()');
      const bad = badReferences(p, user, values);
      const sql = `with ${bad},
        upd as (update ${table} set ${assignments.join(', ')}
          where user_id = ${user} and id = ${target} and (select cardinality(refs) = 0 from bad) returning *),
        ${auditInsert(p, 'upd', 'updated', { fields: set })}
        select exists (select 1 from ${table} x where x.user_id = ${user} and x.id = ${target}) as "_found",
          bad.refs as "_badRefs", ${projection('r')}
        from bad left join upd r on true`;
      const [result] = await run<Row & { _found: boolean; _badRefs: string[] }>(tx, sql, p);
      if (!result?._found) return null;
      throwBadReferences(result._badRefs);
      const { _found, _badRefs, ...row } = result;
      // Deleted by a concurrent transaction after this statement's snapshot: gone, as far as the caller knows.
      return (row as { id: unknown }).id === null ? null : (row as unknown as Row);
    },

    async remove(tx, userId, id) {
      const p = new Params();
      const sql = `with del as (delete from ${table} where user_id = ${p.add(userId, 'uuid')} and id = ${p.add(id, 'uuid')}
          returning id, user_id),
        audit as (insert into audit_log (user_id, action, resource_type, resource_id, metadata)
          select del.user_id, ${p.add(`${spec.resourceType}.deleted`)}, ${p.add(spec.resourceType)}, del.id::text, '{}'::jsonb
          from del)
        select id from del`;
      return (await run(tx, sql, p)).length > 0;
    },
  };
}
