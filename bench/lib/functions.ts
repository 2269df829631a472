import { type JobKey, jobEntries } from '#functions/jobs';
import { type RouteKey, routeEntries } from '#functions/routes';
import { workers } from '#functions/workers';

/**
 * What a function is for the targets: `data` routes reach only PostgreSQL ('db'), `provider` routes hold
 * tokens or talk to providers ('vault'/'providers'), `cognito` routes call the user pool, `store` routes reach
 * the document store (S3: presigned uploads and downloads, deleting an original, queueing an import) besides
 * PostgreSQL, `docs` serves the OpenAPI document, `job` is a scheduled or deploy-time function, `worker` a
 * queue-driven one. Like `cognito`, `store` routes load an AWS SDK client at init, so the data-route init target
 * is not theirs; their bundles are held to the data-route size budget all the same.
 */
export type FunctionKind = 'data' | 'store' | 'provider' | 'cognito' | 'docs' | 'job' | 'worker';

export interface FunctionInfo {
  /** Entry file under functions/ without `.ts` (the route-, job- or worker-table key). */
  key: RouteKey | JobKey | string;
  /** `GET /competitors`, `every 5 min`, `on deploy` or `queue`. */
  label: string;
  kind: FunctionKind;
  capabilities: readonly string[];
  /** The size target for this function, if it has one. */
  budgetBytes: number | null;
}

const KB = 1024;
const MB = 1024 * KB;
export const BUDGETS = {
  data: 300 * KB,
  provider: 1.5 * MB,
  tokenRefresh: 600 * KB,
  documentWorker: 5 * MB,
} as const;

/** Provider-capable functions hold tokens, whether they are routes or jobs. */
export const holdsTokens = (caps: readonly string[]): boolean =>
  caps.includes('vault') || caps.includes('providers');

const isTokenRefresh = (key: string) => key.startsWith('token-refresh/');
const isDocumentWorker = (key: string) => key === 'documents/worker';

function budget(key: string, kind: FunctionKind): number | null {
  if (isTokenRefresh(key)) return BUDGETS.tokenRefresh;
  if (isDocumentWorker(key)) return BUDGETS.documentWorker;
  if (kind === 'data' || kind === 'store') return BUDGETS.data;
  if (kind === 'provider') return BUDGETS.provider;
  return null;
}

/** Every function the route, job and worker tables declare (what the CDK stack builds one Lambda for). */
export function listFunctions(): FunctionInfo[] {
  const routes = routeEntries().map(([key, def]): FunctionInfo => {
    const caps: readonly string[] = def.capabilities;
    const kind: FunctionKind = holdsTokens(caps)
      ? 'provider'
      : caps.includes('cognito')
        ? 'cognito'
        : caps.some((c) => c.startsWith('documents-'))
          ? 'store'
          : caps.length === 0
            ? 'docs'
            : 'data';
    return {
      key,
      label: `${def.method} ${def.path}`,
      kind,
      capabilities: caps,
      budgetBytes: budget(key, kind),
    };
  });
  const jobs = jobEntries().map(([key, def]): FunctionInfo => {
    const caps: readonly string[] = def.capabilities;
    return {
      key,
      label: def.scheduleRateMinutes ? `every ${def.scheduleRateMinutes} min` : 'on deploy',
      kind: 'job',
      capabilities: caps,
      budgetBytes: budget(key, 'job'),
    };
  });
  const queued = Object.entries(workers as Record<string, { capabilities?: readonly string[] }>).map(
    ([key, def]): FunctionInfo => ({
      key,
      label: 'queue',
      kind: 'worker',
      capabilities: def.capabilities ?? [],
      budgetBytes: budget(key, 'worker'),
    }),
  );
  return [...routes, ...jobs, ...queued];
}
