import { routeEntries } from '#functions/routes';
import type { FakeKms } from '../../test/support/fake-kms.ts';
import { type RecordedQuery, recordQueries, statementLabel } from './pg-calls.ts';

export interface CallCount {
  request: string;
  /** Subject to "0 KMS calls". */
  dataRoute: boolean;
  /** Subject to "at most 4 round trips per tenant request" (HTTP requests of one tenant). */
  tenantRequest: boolean;
  status: number | string;
  samples: number;
  roundTrips: { min: number; max: number };
  kms: { generateDataKey: number; decrypt: number; other: number };
  statements: string[];
  note?: string;
}

/** A row for a request the bench could not make (no such route, or one it cannot address yet). */
export const unmeasured = (request: string, status: string, note: string): CallCount => ({
  request,
  dataRoute: false,
  tenantRequest: true,
  status,
  samples: 0,
  roundTrips: { min: 0, max: 0 },
  kms: { generateDataKey: 0, decrypt: 0, other: 0 },
  statements: [],
  note,
});

export interface Counted<T> {
  result: T;
  roundTrips: number;
  statements: string[];
  kmsOps: string[];
}

/** Runs `fn` and counts the database round trips and KMS calls it caused (nothing else may run meanwhile). */
export async function counted<T>(kms: FakeKms, fn: () => Promise<T>): Promise<Counted<T>> {
  const kmsBefore = kms.calls.length;
  const recording = recordQueries();
  let queries: RecordedQuery[] = [];
  let result: T;
  try {
    result = await fn();
  } finally {
    queries = recording.stop();
  }
  return {
    result,
    roundTrips: queries.length,
    statements: queries.map((q) => statementLabel(q.text)),
    kmsOps: kms.calls.slice(kmsBefore).map((c) => c.operation),
  };
}

/** Folds repeated measurements of one request type into one row (min/max show whether the count is stable). */
export function callRow(
  request: string,
  flags: { dataRoute: boolean; tenantRequest: boolean; note?: string },
  samples: ReadonlyArray<Counted<{ status: number | string }>>,
): CallCount {
  const trips = samples.map((s) => s.roundTrips);
  const last = samples.at(-1)!;
  const ops = last.kmsOps;
  return {
    request,
    dataRoute: flags.dataRoute,
    tenantRequest: flags.tenantRequest,
    status: last.result.status,
    samples: samples.length,
    roundTrips: { min: Math.min(...trips), max: Math.max(...trips) },
    kms: {
      generateDataKey: ops.filter((o) => o === 'GenerateDataKey').length,
      decrypt: ops.filter((o) => o === 'Decrypt').length,
      other: ops.filter((o) => o !== 'GenerateDataKey' && o !== 'Decrypt').length,
    },
    statements: last.statements,
    ...(flags.note ? { note: flags.note } : {}),
  };
}

/** The files-listing route, once someone adds it to the route table (GET …/files…). */
export function findFilesRoute(): { key: string; method: string; path: string } | undefined {
  for (const [key, def] of routeEntries()) {
    if (def.method === 'GET' && /\/files\b/.test(def.path))
      return { key, method: def.method, path: def.path };
  }
  return undefined;
}
