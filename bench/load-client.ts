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
}

const plan = JSON.parse(process.env.BENCH_LOAD_PLAN ?? '') as Plan;

interface Row {
  id?: unknown;
  name?: unknown;
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
    const name = String(row.name);
    if (otherIds.has(id) || name.startsWith(other.prefix)) checks.crossTenantRows += 1;
    else if (!ownIds.has(id) || !name.startsWith(owner.prefix)) checks.foreignRows += 1;
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
