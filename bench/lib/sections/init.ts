import path from 'node:path';
import { measureInit } from '../cold-start.ts';
import type { BenchContext } from '../context.ts';
import { buildFloor, FLOOR_KEY, FLOOR_LABEL } from '../floor.ts';
import type { InitRow, Results } from '../results.ts';
import { BASELINE_KEY, lambdaLayout } from '../shipped.ts';
import { type BundlesSection, TYPICAL_DATA_ROUTE } from './bundles.ts';
import { profileInit } from './init-profile.ts';

export const INIT_TARGET_RATIO = 1.5;

/**
 * Section 2: cold init of every shipped asset, as Lambda starts it: a fresh Node 24 process per sample running
 * Lambda's runtime interface client, which loads the asset copied out of cdk.out into its own task directory with
 * nothing resolvable but what the runtime provides (lambdaLayout) and asks for its first event; round-robin with
 * the empty handler so load on the machine spreads over all of them. Each sample is also taken as a bare import
 * (no runtime client), the figure earlier reports gave.
 */
export async function coldInit(ctx: BenchContext, bundles: BundlesSection): Promise<Results['init']> {
  const keys = bundles.rows.filter((r) => r.bytes !== null).map((r) => r.key);
  const layout = await lambdaLayout(path.join(ctx.workDir, 'lambda'), bundles.synth, keys);
  const floor = await buildFloor(path.join(layout.root, 'task', 'reference-handler-stack'));
  const targets = [
    ...[BASELINE_KEY, ...keys].map((key) => ({ key, file: layout.taskFile(key) })),
    { key: FLOOR_KEY, file: floor.file },
  ];
  const runs = ctx.settings.initRuns;
  ctx.log(`cold init: ${targets.length} shipped bundles × ${runs} fresh Node processes (sequential)`);
  const results = await measureInit(
    { bare: layout.runtimeFile, ric: layout.ric },
    targets,
    runs,
    (done, total) => {
      if (done % Math.max(1, Math.floor(total / 5)) === 0) ctx.log(`  ${done}/${total}`);
    },
  );
  const baseline = results.find((r) => r.key === BASELINE_KEY)!;
  const rowOf = (r: (typeof results)[number]): InitRow => {
    const bundle = bundles.rows.find((b) => b.key === r.key);
    const kind = r.key === BASELINE_KEY ? 'baseline' : r.key === FLOOR_KEY ? 'reference' : bundle!.kind;
    const ratio = r.initMs.p50 / baseline.initMs.p50;
    const target = kind === 'data' ? INIT_TARGET_RATIO : null;
    return {
      key: r.key,
      label:
        bundle?.label ?? (kind === 'reference' ? FLOOR_LABEL : 'export const handler = async () => ({})'),
      kind,
      bytes: bundle?.bytes ?? (kind === 'reference' ? floor.bytes : 41),
      runs: r.runs,
      initMs: r.initMs,
      cpuMs: r.cpuMs,
      rssMb: r.rssMb,
      ratioToBaseline: ratio,
      cpuRatioToBaseline: r.cpuMs.p50 / baseline.cpuMs.p50,
      bare: { ...r.bare, ratioToBaseline: r.bare.initMs.p50 / baseline.bare.initMs.p50 },
      target,
      met: target === null || r.error ? (r.error ? false : null) : ratio <= target,
      ...(r.error ? { error: r.error } : {}),
    };
  };
  ctx.log(`  init profile of ${TYPICAL_DATA_ROUTE} (--cpu-prof, source-mapped)`);
  const profile = await profileInit(
    layout.ric,
    layout.taskFile(TYPICAL_DATA_ROUTE),
    TYPICAL_DATA_ROUTE,
    ctx.quick ? 3 : 8,
    path.join(ctx.workDir, 'cpu-prof'),
    bundles.synth.assets.get(TYPICAL_DATA_ROUTE)!.dir,
    layout.taskFile(BASELINE_KEY),
  );
  return {
    runs,
    runtime:
      `a fresh Node 24 process per sample running Lambda's runtime interface client (aws-lambda-ric ${layout.ric.version}, ` +
      'outside the task directory as /var/runtime is), which loads `index.handler` from the asset copied from cdk.out into ' +
      'its own directory (LAMBDA_TASK_ROOT and the cwd, as /var/task), only `@aws-sdk/*` and `@smithy/*` resolvable ' +
      'beside it (what the nodejs24.x runtime provides), the deployed environment (NODE_OPTIONS=--enable-source-maps, ' +
      'placeholder ARNs)',
    ricVersion: layout.ric.version,
    baseline: rowOf(baseline),
    reference: rowOf(results.find((r) => r.key === FLOOR_KEY)!),
    functions: results.filter((r) => r.key !== BASELINE_KEY && r.key !== FLOOR_KEY).map(rowOf),
    profile,
  };
}
