import path from 'node:path';
import { runNodeForJson } from './child-json.ts';
import { type Summary, summarize } from './stats.ts';

/**
 * The environment a deployed function has at init (infra/constructs/backend-function.ts and the bindX helpers),
 * with placeholder values: nothing may be fetched at import time, only read. The union of all capabilities is
 * given to every function; an unused variable costs nothing. AWS_LAMBDA_FUNCTION_NAME makes the code take its
 * Lambda paths (the vault then insists on a KMS key ARN, as deployed). No pool, client or secret is created at
 * import, so no network is needed.
 */
export function lambdaInitEnv(functionKey: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TZ: 'UTC',
    NODE_OPTIONS: '--enable-source-maps',
    AWS_LAMBDA_FUNCTION_NAME: `bench-${functionKey.replace(/\W/g, '-')}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    POWERTOOLS_SERVICE_NAME: 'brand-cloud',
    LOG_LEVEL: 'INFO',
    DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:bench-app-AbCdEf',
    REFRESHER_DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:bench-refresher-AbCdEf',
    DB_OWNER_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:bench-owner-AbCdEf',
    DB_HOST: 'bench-proxy.proxy-abc.eu-west-1.rds.amazonaws.com',
    DB_PORT: '5432',
    DB_NAME: 'brand',
    MIGRATIONS_DIR: '/var/task/migrations',
    COGNITO_USER_POOL_ID: 'eu-west-1_BENCH0000',
    COGNITO_CLIENT_ID: 'benchclientid0000000000000',
    TOKEN_VAULT_KMS_KEY_ARN: 'arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-4000-8000-000000000000',
    PROVIDER_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:bench-providers-AbCdEf',
    SIGNING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:bench-signing-AbCdEf',
    FRONTEND_URL: 'https://app.example.com',
    OAUTH_REDIRECT_BASE_URL: 'https://api.example.com',
  };
}

export interface InitRun {
  initMs: number;
  cpuMs: number;
  rssBytes: number;
}

/** How a cold init is started: see runLambdaInit and runBareImport. */
export interface InitRuntimes {
  /** bench/init-harness.mjs: Node, then `import()` of the bundle. */
  bare: string;
  /** aws-lambda-ric's index.mjs and bench/ric-preload.cjs. */
  ric: { entry: string; preload: string };
}

/**
 * How Lambda starts a function: a Node 24 process runs the runtime interface client (aws-lambda-ric, what
 * Lambda's Node.js runtimes are built from), which sets up its Runtime API client and console, loads the function
 * from LAMBDA_TASK_ROOT by _HANDLER (`index.handler`), and asks for its first event; that request ends the init
 * (bench/ric-preload.cjs prints the figures there). AWS_LAMBDA_RUNTIME_API names a closed port: the request is
 * never sent. The cwd is the task directory, as /var/task is in Lambda. `nodeArgs` go before the client (profiling).
 */
export function lambdaLaunch(
  ric: InitRuntimes['ric'],
  bundleFile: string,
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): { args: string[]; env: NodeJS.ProcessEnv; cwd: string } {
  const taskRoot = path.dirname(bundleFile);
  return {
    args: [...nodeArgs, '--require', ric.preload, ric.entry],
    env: {
      ...env,
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9',
      AWS_LAMBDA_NODEJS_USE_ALTERNATIVE_CLIENT_1: 'true',
      LAMBDA_TASK_ROOT: taskRoot,
      _HANDLER: `${path.basename(bundleFile, '.mjs')}.handler`,
    },
    cwd: taskRoot,
  };
}

/** One cold init as Lambda runs it (lambdaLaunch). */
function runLambdaInit(
  ric: InitRuntimes['ric'],
  bundleFile: string,
  env: NodeJS.ProcessEnv,
): Promise<InitRun> {
  const { args, ...options } = lambdaLaunch(ric, bundleFile, env);
  return runNodeForJson<InitRun>(`init of ${bundleFile}`, args, options);
}

/** One bare import: a fresh Node 24 process importing the bundle and nothing else (the figure of earlier runs). */
function runBareImport(runtime: string, bundleFile: string, env: NodeJS.ProcessEnv): Promise<InitRun> {
  return runNodeForJson<InitRun>(`init of ${bundleFile}`, [runtime, bundleFile], {
    env,
    cwd: path.dirname(bundleFile),
  });
}

export interface InitResult {
  key: string;
  runs: number;
  /** Through the runtime interface client: Lambda's init. */
  initMs: Summary;
  cpuMs: Summary;
  rssMb: number;
  /** Bare import of the bundle, for comparison with earlier reports. */
  bare: { initMs: Summary; cpuMs: Summary };
  error?: string;
}

/**
 * Cold init, `runs` fresh processes per bundle and way of starting it, one at a time (two cores: parallel runs
 * would measure contention). Round-robin over the bundles in a shuffled order each round, so load from anything
 * else running on the machine spreads over all of them, the baseline included, instead of skewing one.
 */
export async function measureInit(
  runtimes: InitRuntimes,
  targets: ReadonlyArray<{ key: string; file: string; env?: NodeJS.ProcessEnv }>,
  runs: number,
  onProgress?: (done: number, total: number) => void,
): Promise<InitResult[]> {
  const samples = new Map<string, { ric: InitRun[]; bare: InitRun[] }>(
    targets.map((t) => [t.key, { ric: [], bare: [] }]),
  );
  const errors = new Map<string, string>();
  const total = runs * targets.length;
  let done = 0;
  const envOf = (t: (typeof targets)[number]) => ({ ...lambdaInitEnv(t.key), ...t.env });
  // One unrecorded warm-up round: the first spawn pays for reading node and the bundles from disk.
  for (const t of targets) await runLambdaInit(runtimes.ric, t.file, envOf(t)).catch(() => undefined);
  for (let round = 0; round < runs; round++) {
    const order = [...targets].sort(() => Math.random() - 0.5);
    for (const t of order) {
      if (errors.has(t.key)) continue;
      try {
        const runsOf = samples.get(t.key)!;
        runsOf.ric.push(await runLambdaInit(runtimes.ric, t.file, envOf(t)));
        runsOf.bare.push(await runBareImport(runtimes.bare, t.file, envOf(t)));
      } catch (error) {
        errors.set(t.key, (error as Error).message);
      }
      onProgress?.(++done, total);
    }
  }
  return targets.map((t) => {
    const { ric, bare } = samples.get(t.key)!;
    return {
      key: t.key,
      runs: ric.length,
      initMs: summarize(ric.map((r) => r.initMs)),
      cpuMs: summarize(ric.map((r) => r.cpuMs)),
      rssMb: summarize(ric.map((r) => r.rssBytes)).p50 / (1024 * 1024),
      bare: { initMs: summarize(bare.map((r) => r.initMs)), cpuMs: summarize(bare.map((r) => r.cpuMs)) },
      ...(errors.has(t.key) ? { error: errors.get(t.key)! } : {}),
    };
  });
}
