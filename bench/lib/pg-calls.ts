import pg from 'pg';

/**
 * Counts database round trips by wrapping `pg.Client.prototype.query` in this process: every call is one
 * round trip (the extended protocol's parse/bind/execute/sync go out in one write and come back as one reply).
 * Pool clients are `pg.Client` instances of the same module, so the functions' queries are counted too.
 */
export interface RecordedQuery {
  text: string;
  values: unknown[] | undefined;
}

type QueryFn = (this: pg.Client, ...args: unknown[]) => unknown;

let recorders: Array<RecordedQuery[]> = [];
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const proto = pg.Client.prototype as unknown as { query: QueryFn };
  const original = proto.query;
  proto.query = function query(this: pg.Client, ...args: unknown[]) {
    if (recorders.length > 0) {
      const [first, second] = args;
      const entry: RecordedQuery =
        typeof first === 'string'
          ? { text: first, values: Array.isArray(second) ? second : undefined }
          : {
              text: String((first as { text?: unknown }).text ?? ''),
              values: ((first as { values?: unknown[] }).values ??
                (Array.isArray(second) ? second : undefined)) as unknown[] | undefined,
            };
      for (const r of recorders) r.push(entry);
    }
    return original.apply(this, args);
  };
}

/** Starts recording every query of the process; `stop()` returns them in order. */
export function recordQueries(): { stop: () => RecordedQuery[] } {
  install();
  const queries: RecordedQuery[] = [];
  recorders.push(queries);
  return {
    stop: () => {
      recorders = recorders.filter((r) => r !== queries);
      return queries;
    },
  };
}

/** A short label for a statement: its first keyword(s), e.g. `select set_config`, `with`, `BEGIN`. */
export function statementLabel(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  if (/^select set_config\('app\.user_id'/i.test(t)) return 'tenant context (set_config + users check)';
  if (/^select set_config\('statement_timeout', '20s'/i.test(t)) return 'refresh limits (set_config)';
  return t.length > 60 ? `${t.slice(0, 57)}…` : t;
}
