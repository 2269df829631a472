import os from 'node:os';
import path from 'node:path';
import { accessClaims, httpApiEvent, jsonBody } from '#local/lambda';
import { closePools } from '#shared/db/pool';
import { resetVaultForTests } from '#shared/vault/token-vault';
import {
  AWS_SDK_EXTERNAL,
  BASELINE_KEY,
  type BuildResult,
  type BundleInfo,
  buildAll,
  buildSource,
  type Contributor,
  deferSecretsManager,
  importChain,
  zodNamespaceImports,
} from './bundles.ts';
import { type CallCount, type Counted, callRow, counted, findFilesRoute } from './calls.ts';
import { measureInit } from './cold-start.ts';
import { type FunctionInfo, holdsTokens, listFunctions } from './functions.ts';
import { type LatencyCase, measureLatency } from './latency.ts';
import { profileCpu } from './profile.ts';
import { runScheduledRefresh, seedDueConnections, vaultCpuPerRow } from './refresh.ts';
import { renderReport } from './report.ts';
import type { BundleRow, ImportChainRow, InitRow, MachineInfo, Results, WhatIfRow } from './results.ts';
import { type BenchStack, type BenchUser, startBenchStack } from './stack.ts';
import { evaluateTargets } from './targets.ts';
import { runLoad } from './throughput.ts';

export interface Settings {
  initRuns: number;
  latencyIterations: number;
  latencyWarmup: number;
  loadConnections: number;
  loadDurationSeconds: number;
  refreshDue: number;
  tokenLatencyMs: number;
  seededRowsPerTenant: number;
}

export const KIB = 1024;
export const DATA_BUDGET_BYTES = 300 * KIB;
export const PROVIDER_BUDGET_BYTES = 1.5 * KIB * KIB;
export const INIT_TARGET_RATIO = 2;

const budgetFor = (f: FunctionInfo): number | null =>
  holdsTokens(f) ? PROVIDER_BUDGET_BYTES : f.kind === 'data' ? DATA_BUDGET_BYTES : null;

function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    cpuCount: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    loadAverageAtEnd: [],
  };
}

/** Keys measured for init: fixed representatives plus the biggest data route and the biggest bundle overall. */
function initSubset(functions: readonly FunctionInfo[], build: BuildResult): FunctionInfo[] {
  const size = (f: FunctionInfo) => build.bundles.get(f.key)!.bytes;
  const fixed = [
    'health/get',
    'competitors/list',
    'competitors/create',
    'brand-strategy/get',
    'cloud-storage/list-connections',
    'auth/register',
    'openapi/get',
    'cloud-storage/confirm',
    'token-refresh/handler',
  ];
  const data = functions.filter((f) => f.kind === 'data');
  const picks = new Set<string>(fixed);
  const biggestData = [...data].sort((a, b) => size(b) - size(a))[0];
  const biggest = [...functions].sort((a, b) => size(b) - size(a))[0];
  if (biggestData) picks.add(biggestData.key);
  if (biggest) picks.add(biggest.key);
  return functions.filter((f) => picks.has(f.key));
}

const TYPICAL_DATA_ROUTE = 'competitors/list';
/** Composition names are package names (`zod`, `@aws-sdk/core`) or project folders (`shared/db`). */
const isPackage = (name: string): boolean => name.startsWith('@') || !name.includes('/');
export const ZOD_VARIANT = "`import * as z from 'zod'`";
export const ZOD_DEFERRED_VARIANT =
  "`import * as z from 'zod'` + no Secrets Manager SDK (DB secret via the Parameters and Secrets extension; the client stubbed for the measurement)";
export const ZOD_SDK_VARIANT = "`import * as z from 'zod'` + the runtime's AWS SDK (`@aws-sdk/*` external)";

export async function main(options: {
  settings: Settings;
  workDir: string;
  log: (line: string) => void;
  quick: boolean;
}): Promise<{ results: Results; report: string }> {
  const { settings, workDir, log } = options;
  const t0 = performance.now();
  const machine = machineInfo();
  log(
    `node ${machine.node}, ${machine.cpuCount} CPUs (${machine.cpuModel}), load ${machine.loadAverageAtStart.join(' ')}`,
  );
  if (!machine.node.startsWith('v24.')) {
    log('WARNING: not Node 24 (run through `npm run bench`, which uses the `node` devDependency)');
  }

  // 1. Bundles (every function) and cold init (a representative subset).
  const functions = listFunctions();
  log(`bundling ${functions.length} functions with the CDK's esbuild options`);
  const build = await buildAll(functions, path.join(workDir, 'cdk'));
  log(`  built in ${(build.buildMs / 1000).toFixed(1)} s`);
  const bundleRows: BundleRow[] = functions.map((f) => {
    const b = build.bundles.get(f.key)!;
    const budget = budgetFor(f);
    return {
      key: f.key,
      label: f.label,
      kind: f.kind,
      holdsTokens: holdsTokens(f),
      bytes: b.bytes,
      gzipBytes: b.gzipBytes,
      budgetBytes: budget,
      withinBudget: budget === null ? null : b.bytes <= budget,
    };
  });
  const bySize = (rows: BundleRow[]) => [...rows].sort((a, b) => b.bytes - a.bytes)[0]?.key;
  const biggestData = bySize(bundleRows.filter((r) => r.kind === 'data'));
  const biggestProvider = bySize(bundleRows.filter((r) => r.holdsTokens));
  const focusKeys = [...new Set([TYPICAL_DATA_ROUTE, biggestData, biggestProvider])].filter(
    (k): k is string => k !== undefined,
  );
  const composition: Record<string, Contributor[]> = {};
  for (const key of focusKeys) composition[key] = (build.composition.get(key) ?? []).slice(0, 10);
  // What the biggest data route carries beyond a typical one, and through which imports.
  const chains: Record<string, ImportChainRow[]> = {};
  if (biggestData && biggestData !== TYPICAL_DATA_ROUTE) {
    const typical = new Set((build.composition.get(TYPICAL_DATA_ROUTE) ?? []).map((c) => c.name));
    chains[biggestData] = (build.composition.get(biggestData) ?? [])
      .filter((c) => !typical.has(c.name) && isPackage(c.name))
      .slice(0, 5)
      .map((c) => ({
        pkg: c.name,
        bytes: c.bytes,
        chain: importChain(build.metafile, biggestData, c.name) ?? [],
      }));
  }

  const whatIfFunctions = functions.filter((f) => focusKeys.includes(f.key));
  log(`what-if builds for ${focusKeys.join(', ')}`);
  const zodOnly = await buildAll(whatIfFunctions, path.join(workDir, 'zod-ns'), {
    plugins: [zodNamespaceImports],
  });
  const zodAndSdk = await buildAll(whatIfFunctions, path.join(workDir, 'zod-ns-sdk-external'), {
    plugins: [zodNamespaceImports],
    external: AWS_SDK_EXTERNAL,
  });
  const zodAndDeferred = await buildAll(whatIfFunctions, path.join(workDir, 'zod-ns-secrets-deferred'), {
    plugins: [zodNamespaceImports, deferSecretsManager],
  });
  const whatIf: WhatIfRow[] = whatIfFunctions.flatMap((f) => [
    { key: f.key, variant: 'as shipped', bytes: build.bundles.get(f.key)!.bytes },
    { key: f.key, variant: ZOD_VARIANT, bytes: zodOnly.bundles.get(f.key)!.bytes },
    { key: f.key, variant: ZOD_SDK_VARIANT, bytes: zodAndSdk.bundles.get(f.key)!.bytes },
    { key: f.key, variant: ZOD_DEFERRED_VARIANT, bytes: zodAndDeferred.bundles.get(f.key)!.bytes },
  ]);

  const subset = initSubset(functions, build);
  // What-if inits of the typical data route: each fix alone and together, and the CDK's source-map flag off.
  const whatIfInits = [
    { key: 'what-if:zod', label: ZOD_VARIANT, file: zodOnly.bundles.get(TYPICAL_DATA_ROUTE)! },
    { key: 'what-if:zod+sdk', label: ZOD_SDK_VARIANT, file: zodAndSdk.bundles.get(TYPICAL_DATA_ROUTE)! },
    {
      key: 'what-if:zod+deferred',
      label: ZOD_DEFERRED_VARIANT,
      file: zodAndDeferred.bundles.get(TYPICAL_DATA_ROUTE)!,
    },
    {
      key: 'what-if:no-source-maps',
      label: 'as shipped, without `NODE_OPTIONS=--enable-source-maps`',
      file: build.bundles.get(TYPICAL_DATA_ROUTE)!,
      env: { NODE_OPTIONS: '' },
    },
  ];
  // Init of single ingredients of a data route, to see where its init time goes.
  const ingredients = [
    {
      key: 'part:zod',
      label: "zod alone, imported as the project does (`import * as z from 'zod'`)",
      source: "import * as z from 'zod';\nexport const handler = async () => z.string();\n",
    },
    {
      key: 'part:route-table',
      label:
        'one route area alone (`#functions/route-table/collections`: its routes’ zod schemas, built at import)',
      source:
        "import { collectionRoutes } from '#functions/route-table/collections';\nexport const handler = async () => Object.keys(collectionRoutes).length;\n",
    },
    {
      key: 'part:secrets-manager',
      label:
        'the Secrets Manager client alone, if it were loaded at import (the project loads it on first use)',
      source:
        "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';\nexport const handler = async () => SecretsManagerClient.name;\n",
    },
  ];
  const ingredientBundles = new Map<string, BundleInfo>();
  for (const part of ingredients) {
    ingredientBundles.set(
      part.key,
      await buildSource(part.key.replace(':', '-'), part.source, path.join(workDir, 'parts')),
    );
  }
  const initTargets = [
    { key: BASELINE_KEY, file: build.bundles.get(BASELINE_KEY)!.file },
    ...subset.map((f) => ({ key: f.key, file: build.bundles.get(f.key)!.file })),
    ...whatIfInits.map((w) => ({ key: w.key, file: w.file.file, ...(w.env ? { env: w.env } : {}) })),
    ...ingredients.map((p) => ({ key: p.key, file: ingredientBundles.get(p.key)!.file })),
  ];
  log(`cold init: ${initTargets.length} bundles × ${settings.initRuns} fresh processes (sequential)`);
  const initResults = await measureInit(initTargets, settings.initRuns, (done, total) => {
    if (done % Math.max(1, Math.floor(total / 5)) === 0) log(`  ${done}/${total}`);
  });
  const baselineP50 = initResults.find((r) => r.key === BASELINE_KEY)!.initMs.p50;
  const toInitRow = (r: (typeof initResults)[number]): InitRow => {
    const f = functions.find((x) => x.key === r.key);
    const w = whatIfInits.find((x) => x.key === r.key);
    const part = ingredients.find((x) => x.key === r.key);
    const kind = r.key === BASELINE_KEY ? 'baseline' : w ? 'what-if' : part ? 'part' : f!.kind;
    const bytes = w
      ? w.file.bytes
      : part
        ? ingredientBundles.get(part.key)!.bytes
        : build.bundles.get(r.key)!.bytes;
    const ratio = r.initMs.p50 / baselineP50;
    const target = kind === 'data' ? INIT_TARGET_RATIO : null;
    return {
      key: r.key,
      label:
        r.key === BASELINE_KEY
          ? 'empty handler'
          : w
            ? `${TYPICAL_DATA_ROUTE}: ${w.label}`
            : part
              ? part.label
              : f!.label,
      kind,
      bytes,
      runs: r.runs,
      initMs: r.initMs,
      rssMb: r.rssMb,
      ratioToBaseline: ratio,
      target,
      met: target === null ? null : ratio <= target,
      ...(r.error ? { error: r.error } : {}),
    };
  };
  const initRows = initResults.map(toInitRow);

  // 2–5 need the local stack.
  const bench = await startBenchStack(log);
  try {
    log(`  stack up: gateway ${bench.stack.url}`);
    const [tenantA, tenantB, latencyUser, callsUser] = [
      await bench.createUser('tenant-a'),
      await bench.createUser('tenant-b'),
      await bench.createUser('latency'),
      await bench.createUser('calls'),
    ];
    const seed = async (user: BenchUser, prefix: string) => {
      const ids: string[] = [];
      for (let i = 0; i < settings.seededRowsPerTenant; i++) {
        const res = await bench.api<{ id: string }>('POST', '/competitors', {
          token: user.accessToken,
          body: {
            name: `${prefix}-competitor-${i}`,
            website: `https://${prefix}-${i}.example.com`,
            strengths: ['x'],
          },
        });
        if (res.status !== 201) throw new Error(`seeding failed: ${res.status} ${res.text}`);
        ids.push(res.body.id);
      }
      return ids;
    };
    const idsA = await seed(tenantA, 'tenantA');
    const idsB = await seed(tenantB, 'tenantB');
    const idsLatency = await seed(latencyUser, 'latency');
    const strategy = await bench.api('PUT', '/brand-strategy', {
      token: latencyUser.accessToken,
      body: { mission: 'Benchmarks', values: ['speed'], brandColors: ['#112233'] },
    });
    if (strategy.status !== 200) throw new Error(`brand strategy seed failed: ${strategy.status}`);
    log(`  seeded ${settings.seededRowsPerTenant} competitors for each of 3 users`);

    // 5. Calls per request type (first: nothing else has run against this user yet, and nothing runs beside it).
    log('calls per request: database round trips (pg.Client#query) and KMS calls (fake KMS)');
    const calls = await measureCalls(bench, callsUser, settings);

    // 2. Warm latency through the handler stack next to the same SQL over a raw client.
    log(
      `warm latency: ${settings.latencyIterations} iterations per route (handler, raw transaction, raw query)`,
    );
    const clientId = bench.stack.cognito.clientId;
    const claims = accessClaims(latencyUser.userId, clientId);
    const cases: LatencyCase[] = [
      {
        name: 'GET /competitors (25 rows)',
        routeKey: 'competitors/list',
        expectStatus: 200,
        event: () => httpApiEvent({ method: 'GET', routePath: '/competitors', claims }),
      },
      {
        name: 'GET /competitors/{id}',
        routeKey: 'competitors/get',
        expectStatus: 200,
        event: (i) =>
          httpApiEvent({
            method: 'GET',
            routePath: '/competitors/{id}',
            pathParameters: { id: idsLatency[i % idsLatency.length]! },
            claims,
          }),
      },
      {
        name: 'POST /competitors',
        routeKey: 'competitors/create',
        expectStatus: 201,
        event: (i) =>
          httpApiEvent({
            method: 'POST',
            routePath: '/competitors',
            ...jsonBody({ name: `latency-h-${i}`, website: 'https://example.com', strengths: ['a', 'b'] }),
            claims,
          }),
        rawValues: (values, i) =>
          values?.map((v) => (typeof v === 'string' && v.startsWith('latency-h-') ? `latency-r-${i}` : v)),
      },
      {
        name: 'GET /brand-strategy',
        routeKey: 'brand-strategy/get',
        expectStatus: 200,
        event: () => httpApiEvent({ method: 'GET', routePath: '/brand-strategy', claims }),
      },
    ];
    const latency = await measureLatency(
      cases,
      bench.stack.db.appUrl,
      settings.latencyIterations,
      settings.latencyWarmup,
    );
    for (const l of latency) {
      log(
        `  ${l.name}: handler p50 ${l.handler.p50.toFixed(2)} ms, raw tx p50 ${l.rawTransaction.p50.toFixed(2)} ms (×${l.ratioP50.toFixed(2)})`,
      );
    }

    // 3. Gateway throughput, two tenants interleaved, every body checked.
    log(
      `gateway throughput: autocannon, ${settings.loadConnections} connections, ${settings.loadDurationSeconds} s (+2 s warm-up)`,
    );
    const tenants: Parameters<typeof runLoad>[1] = [
      { token: tenantA.accessToken, prefix: 'tenantA-', ids: idsA },
      { token: tenantB.accessToken, prefix: 'tenantB-', ids: idsB },
    ];
    await runLoad(bench.stack.url, tenants, settings.loadConnections, 2);
    const load = await runLoad(
      bench.stack.url,
      tenants,
      settings.loadConnections,
      settings.loadDurationSeconds,
    );
    log(
      `  ${load.requestsPerSecond.toFixed(0)} req/s, p99 ${load.latencyMs.p99} ms, non-2xx ${load.non2xx}, cross-tenant rows ${load.checks.crossTenantRows}`,
    );

    // 4. Scheduled refresh against the sandbox token endpoint with a fixed latency.
    log(
      `scheduled refresh: ${settings.refreshDue} due connections, token endpoint latency ${settings.tokenLatencyMs} ms`,
    );
    const sandbox = bench.stack.sandbox!;
    const warmupRows = 16;
    await seedDueConnections(bench.superuserUrl, sandbox, warmupRows, 'refresh-warmup');
    await runScheduledRefresh(bench.kms, sandbox, warmupRows, settings.tokenLatencyMs);
    await seedDueConnections(bench.superuserUrl, sandbox, settings.refreshDue, 'refresh');
    const refreshRun = await runScheduledRefresh(
      bench.kms,
      sandbox,
      settings.refreshDue,
      settings.tokenLatencyMs,
    );
    const profiledRows = Math.min(100, settings.refreshDue);
    await seedDueConnections(bench.superuserUrl, sandbox, profiledRows, 'refresh-profiled');
    const refreshProfile = await profileCpu(async () => {
      await runScheduledRefresh(bench.kms, sandbox, profiledRows, settings.tokenLatencyMs);
    }, 12);
    const vaultCpuMs = await vaultCpuPerRow(50);
    // One worker, no token latency: a row's own serial cost, without any queueing behind other workers.
    const serialRows = 20;
    await seedDueConnections(bench.superuserUrl, sandbox, serialRows, 'refresh-serial');
    const serial = await runScheduledRefresh(bench.kms, sandbox, serialRows, 0, {
      concurrency: 1,
      purgeOAuthRows: false,
    });
    const serialMsPerRow = serial.summary.durationMs / Math.max(1, serial.summary.refreshed);
    const s = refreshRun.summary;
    const ops = refreshRun.counted.kmsOps;
    const refresh = {
      due: settings.refreshDue,
      refreshed: s.refreshed,
      errors: s.errors,
      transient: s.transient,
      skipped: s.skipped,
      durationMs: s.durationMs,
      tokenLatencyMs: settings.tokenLatencyMs,
      concurrency: s.concurrency,
      batchSize: 50,
      rowsPerSecond: refreshRun.rowsPerSecond,
      boundRowsPerSecond: refreshRun.boundRowsPerSecond,
      ratio: refreshRun.ratio,
      tokenCalls: refreshRun.tokenCalls,
      roundTripsPerRow: refreshRun.counted.roundTrips / Math.max(1, s.refreshed),
      kmsPerRow: {
        generateDataKey: ops.filter((o) => o === 'GenerateDataKey').length / Math.max(1, s.refreshed),
        decrypt: ops.filter((o) => o === 'Decrypt').length / Math.max(1, s.refreshed),
      },
      warmupRows,
      cpuMsPerRow: refreshRun.cpuMsPerRow,
      cpuBoundRowsPerSecond: 1000 / refreshRun.cpuMsPerRow,
      vaultCpuMsPerRow: vaultCpuMs,
      profile: refreshProfile.buckets,
      profiledRows,
      eventLoopUtilization: refreshRun.eventLoopUtilization,
      serialRows,
      serialMsPerRow,
      serialLimitRowsPerSecond: s.concurrency / ((settings.tokenLatencyMs + serialMsPerRow) / 1000),
    };
    log(
      `  ${s.refreshed}/${settings.refreshDue} refreshed in ${s.durationMs} ms: ${refresh.rowsPerSecond.toFixed(1)} rows/s of a ${refresh.boundRowsPerSecond.toFixed(0)} rows/s bound (${(refresh.ratio * 100).toFixed(0)} %)`,
    );

    machine.loadAverageAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
    const results: Omit<Results, 'targets'> = {
      generatedAt: new Date().toISOString(),
      durationSeconds: (performance.now() - t0) / 1000,
      machine,
      settings: {
        initRuns: settings.initRuns,
        latencyIterations: settings.latencyIterations,
        latencyWarmup: settings.latencyWarmup,
        loadConnections: settings.loadConnections,
        loadDurationSeconds: settings.loadDurationSeconds,
        refreshDue: settings.refreshDue,
        tokenLatencyMs: settings.tokenLatencyMs,
        logLevel: process.env.LOG_LEVEL ?? '',
      },
      bundles: {
        buildSeconds: build.buildMs / 1000,
        baselineBytes: build.bundles.get(BASELINE_KEY)!.bytes,
        functions: bundleRows,
        composition,
        chains,
        whatIf,
      },
      init: {
        runs: settings.initRuns,
        baseline: initRows.find((r) => r.key === BASELINE_KEY)!,
        functions: initRows.filter((r) => r.key !== BASELINE_KEY),
      },
      latency,
      throughput: {
        ...load,
        connections: settings.loadConnections,
        seededRowsPerTenant: settings.seededRowsPerTenant,
      },
      refresh,
      calls,
    };
    const full: Results = { ...results, targets: evaluateTargets(results) };
    return { results: full, report: renderReport(full, { quick: options.quick }) };
  } finally {
    await bench.stop();
    resetVaultForTests();
    await closePools();
  }
}

/** Item 5: each request type through the local gateway (in this process), counted, not estimated. */
async function measureCalls(bench: BenchStack, user: BenchUser, settings: Settings): Promise<CallCount[]> {
  const token = user.accessToken;
  const rows: CallCount[] = [];
  const http = (method: string, urlPath: string, body?: unknown) => async () => {
    const res = await bench.api(method, urlPath, { token, ...(body === undefined ? {} : { body }) });
    return { status: res.status, body: res.body as Record<string, unknown> | undefined };
  };
  const repeat = async (
    request: string,
    flags: { dataRoute: boolean; tenantRequest: boolean; note?: string },
    make: (i: number) => () => Promise<{ status: number }>,
    times = 3,
  ) => {
    await make(-1)(); // warm: module loaded, pool connected
    const samples: Array<Counted<{ status: number }>> = [];
    for (let i = 0; i < times; i++) samples.push(await counted(bench.kms, make(i)));
    rows.push(callRow(request, flags, samples));
  };
  const data = { dataRoute: true, tenantRequest: true };

  const created: string[] = [];
  await repeat('POST /competitors (data create)', data, (i) => async () => {
    const r = await http('POST', '/competitors', { name: `calls-${i + 1}`, strengths: ['s'] })();
    if (r.status === 201) created.push(String(r.body?.id));
    return r;
  });
  const id = created.at(-1)!;
  await repeat('GET /competitors (data list)', data, () => http('GET', '/competitors'));
  await repeat('GET /competitors/{id} (data get)', data, () => http('GET', `/competitors/${id}`));
  await repeat('PATCH /competitors/{id} (data update)', data, (i) =>
    http('PATCH', `/competitors/${id}`, { notes: `update ${i}` }),
  );
  await repeat(
    'DELETE /competitors/{id} (data delete)',
    data,
    (i) => http('DELETE', `/competitors/${created[i + 1] ?? created[0]}`),
    1,
  );
  await repeat('PUT /brand-strategy (data, versioned)', data, (i) =>
    http('PUT', '/brand-strategy', { mission: `m${i}` }),
  );
  await repeat('GET /brand-strategy', data, () => http('GET', '/brand-strategy'));

  // The OAuth flow, one step at a time, against the sandbox Google.
  const sandbox = bench.stack.sandbox!;
  const provider = 'google_drive';
  const flow = async (as: BenchUser) => {
    const asHttp = (method: string, urlPath: string, body?: unknown) => async () => {
      const res = await bench.api(method, urlPath, {
        token: as.accessToken,
        ...(body === undefined ? {} : { body }),
      });
      return { status: res.status, body: res.body as Record<string, unknown> | undefined };
    };
    const connect = await counted(bench.kms, asHttp('GET', `/cloud-storage/connect/${provider}`));
    const authorizationUrl = String(connect.result.body?.authorizationUrl);
    const callbackUrl = await sandbox.control.consent(authorizationUrl);
    const callback = await counted(bench.kms, async () => {
      const res = await fetch(`${bench.stack.url}${callbackUrl.pathname}${callbackUrl.search}`, {
        redirect: 'manual',
      });
      await res.arrayBuffer();
      return { status: res.status, location: res.headers.get('location') ?? '' };
    });
    const ticket = new URL(callback.result.location).searchParams.get('ticket');
    if (!ticket) throw new Error(`OAuth callback gave no ticket: ${callback.result.location}`);
    const confirm = await counted(
      bench.kms,
      asHttp('POST', `/cloud-storage/connections/${provider}/confirm`, { ticket }),
    );
    return { connect, callback, confirm };
  };
  // Warm-up flow (modules loaded, KMS client created), then first connections of fresh users, then a
  // re-consent of a connected user (the confirm then also opens the new tokens to keep a refresh token).
  await flow(await bench.createUser('oauth-warm'));
  const firsts = [await flow(user), await flow(await bench.createUser('oauth-2'))];
  const reconsent = [await flow(user)];
  const provFlags = { dataRoute: false, tenantRequest: true };
  rows.push(
    callRow(
      `GET /cloud-storage/connect/${provider}`,
      provFlags,
      firsts.map((f) => f.connect),
    ),
  );
  rows.push(
    callRow(
      `GET /cloud-storage/callback/${provider} (public: code exchange, seal)`,
      { dataRoute: false, tenantRequest: false },
      firsts.map((f) => f.callback),
    ),
  );
  rows.push(
    callRow(
      `POST /cloud-storage/connections/${provider}/confirm (OAuth confirm, first connection)`,
      provFlags,
      firsts.map((f) => f.confirm),
    ),
  );
  rows.push(
    callRow(
      `POST /cloud-storage/connections/${provider}/confirm (OAuth confirm, re-consent)`,
      provFlags,
      reconsent.map((f) => f.confirm),
    ),
  );
  await repeat('GET /auth/me (with one connection)', data, () => http('GET', '/auth/me'));
  await repeat('GET /cloud-storage/connections', data, () => http('GET', '/cloud-storage/connections'));

  const files = findFilesRoute();
  if (files) {
    const urlPath = files.path.replace('{provider}', provider);
    if (/\{\w+\}/.test(urlPath)) {
      rows.push({
        request: `${files.method} ${files.path} (files list)`,
        dataRoute: false,
        tenantRequest: true,
        status: 'not measured',
        samples: 0,
        roundTrips: { min: 0, max: 0 },
        kms: { generateDataKey: 0, decrypt: 0, other: 0 },
        statements: [],
        note: 'path parameters other than {provider}: extend bench/lib/main.ts',
      });
    } else {
      await repeat(`${files.method} ${files.path} (files list)`, provFlags, () => http('GET', urlPath));
    }
  } else {
    rows.push({
      request: 'files list',
      dataRoute: false,
      tenantRequest: true,
      status: 'no route',
      samples: 0,
      roundTrips: { min: 0, max: 0 },
      kms: { generateDataKey: 0, decrypt: 0, other: 0 },
      statements: [],
      note: 'no GET …/files route in functions/routes.ts yet',
    });
  }

  // A scheduled pass with exactly one due row (the handler's settings: pool of 8, purge first).
  process.env.DB_POOL_MAX = '8';
  const one: Array<Counted<{ status: string }>> = [];
  for (let i = 0; i < 2; i++) {
    await seedDueConnections(bench.superuserUrl, sandbox, 1, `refresh-one-${i}`);
    const run = await runScheduledRefresh(bench.kms, sandbox, 1, 0);
    one.push({ ...run.counted, result: { status: `refreshed ${run.summary.refreshed}` } });
  }
  rows.push(
    callRow(
      'scheduled refresh, one due row (whole pass: purge + claim + row)',
      { dataRoute: false, tenantRequest: false },
      one.slice(1),
    ),
  );
  void settings;
  return rows;
}
