import { type JobKey, jobEntries } from '#functions/jobs';
import { type RouteKey, routeEntries } from '#functions/routes';

/**
 * What a function is for the targets: `data` routes reach only PostgreSQL ('db'), `provider` routes hold
 * tokens or talk to providers ('vault'/'providers'), `cognito` routes call the user pool, `docs` serves the
 * OpenAPI document, `job` is a scheduled or deploy-time function (the token refresh is also a provider function).
 */
export type FunctionKind = 'data' | 'provider' | 'cognito' | 'docs' | 'job';

export interface FunctionInfo {
  /** Entry file under functions/ without `.ts` (the route-table or job-table key). */
  key: RouteKey | JobKey;
  /** `GET /competitors`, or `job` for jobs. */
  label: string;
  kind: FunctionKind;
  capabilities: readonly string[];
}

export function listFunctions(): FunctionInfo[] {
  const routes = routeEntries().map(([key, def]): FunctionInfo => {
    const caps: readonly string[] = def.capabilities;
    const kind: FunctionKind =
      caps.includes('providers') || caps.includes('vault')
        ? 'provider'
        : caps.includes('cognito')
          ? 'cognito'
          : caps.length === 0
            ? 'docs'
            : 'data';
    return { key, label: `${def.method} ${def.path}`, kind, capabilities: caps };
  });
  const jobs = jobEntries().map(([key, def]): FunctionInfo => {
    const caps: readonly string[] = def.capabilities;
    return {
      key,
      label: def.scheduleRateMinutes ? `every ${def.scheduleRateMinutes} min` : 'on deploy',
      kind: 'job',
      capabilities: caps,
    };
  });
  return [...routes, ...jobs];
}

/** Provider-capable functions get the provider bundle budget, whether they are routes or jobs. */
export const holdsTokens = (f: FunctionInfo): boolean =>
  f.capabilities.includes('vault') || f.capabilities.includes('providers');
