/**
 * The load generator of the gateway throughput figure, in its own process so it does not share the gateway's
 * event loop. Reads its plan from BENCH_LOAD_PLAN (JSON), prints one JSON result line.
 *
 * Two tenants are interleaved on every connection (A list, A get, B list, B get, …). Every response body is
 * checked: each row must be one of the requesting tenant's seeded rows (id known, name carrying the tenant's
 * prefix); a row of the other tenant counts as cross-tenant, anything else as foreign.
 */
import autocannon, { type RequestSpec } from 'autocannon';

interface Tenant {
  token: string;
  prefix: string;
  ids: string[];
}
interface Plan {
  url: string;
  connections: number;
  durationSeconds: number;
  tenants: [Tenant, Tenant];
  /** `mixed` (the soak): reads, creates, updates and the brand strategy, not only the two reads. */
  mix?: 'reads' | 'mixed';
}

const plan = JSON.parse(process.env.BENCH_LOAD_PLAN ?? '') as Plan;

interface Row {
  id?: unknown;
  name?: unknown;
  /** The brand strategy's (seeded with the tenant's prefix). */
  mission?: unknown;
}

const checks = {
  responses: 0,
  okResponses: 0,
  rowsChecked: 0,
  crossTenantRows: 0,
  foreignRows: 0,
  unparsable: 0,
  emptyLists: 0,
};

function verify(owner: Tenant, other: Tenant, status: number, body: string): void {
  checks.responses += 1;
  if (status < 200 || status > 299) return;
  checks.okResponses += 1;
  let json: { items?: Row[] } & Row;
  try {
    json = JSON.parse(body) as { items?: Row[] } & Row;
  } catch {
    checks.unparsable += 1;
    return;
  }
  const rows: Row[] = Array.isArray(json.items) ? json.items : [json];
  if (Array.isArray(json.items) && json.items.length === 0) checks.emptyLists += 1;
  const ownIds = new Set(owner.ids);
  const otherIds = new Set(other.ids);
  for (const row of rows) {
    checks.rowsChecked += 1;
    const id = String(row.id);
    // Rows created during the run carry the tenant's prefix too (names are unique per prefix).
    const name = String(row.name ?? row.mission);
    if (otherIds.has(id) || name.startsWith(other.prefix)) checks.crossTenantRows += 1;
    else if (!name.startsWith(owner.prefix) || (!plan.mix && !ownIds.has(id))) checks.foreignRows += 1;
  }
}

function requestsFor(owner: Tenant, other: Tenant): RequestSpec[] {
  let next = 0;
  const headers = { authorization: `Bearer ${owner.token}` };
  return [
    {
      method: 'GET',
      path: '/competitors',
      headers,
      onResponse: (status, body) => verify(owner, other, status, body),
    },
    {
      method: 'GET',
      path: `/competitors/${owner.ids[0]}`,
      headers,
      setupRequest: (req) => ({ ...req, path: `/competitors/${owner.ids[next++ % owner.ids.length]}` }),
      onResponse: (status, body) => verify(owner, other, status, body),
    },
    ...(plan.mix === 'mixed' ? mixedFor(owner, other) : []),
  ];
}

/** The soak's writes and the other resource: a create, an update of a seeded row, the brand strategy. */
function mixedFor(owner: Tenant, other: Tenant): RequestSpec[] {
  let n = 0;
  const headers = { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' };
  return [
    {
      method: 'POST',
      path: '/competitors',
      headers,
      setupRequest: (req) => ({
        ...req,
        body: JSON.stringify({ name: `${owner.prefix}soak-${process.pid}-${n++}`, strengths: ['s'] }),
      }),
      onResponse: (status, body) => verify(owner, other, status, body),
    },
    {
      method: 'PATCH',
      path: `/competitors/${owner.ids[0]}`,
      headers,
      setupRequest: (req) => ({
        ...req,
        path: `/competitors/${owner.ids[n % owner.ids.length]}`,
        body: JSON.stringify({ notes: `soak ${n++}` }),
      }),
      onResponse: (status, body) => verify(owner, other, status, body),
    },
    {
      method: 'GET',
      path: '/brand-strategy',
      headers,
      onResponse: (status, body) => verify(owner, other, status, body),
    },
  ];
}

const [a, b] = plan.tenants;
const result = await autocannon({
  url: plan.url,
  connections: plan.connections,
  duration: plan.durationSeconds,
  timeout: 10,
  requests: [...requestsFor(a, b), ...requestsFor(b, a)],
});

process.stdout.write(
  `${JSON.stringify({
    durationSeconds: result.duration,
    requestsTotal: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count])),
    checks,
  })}\n`,
);
