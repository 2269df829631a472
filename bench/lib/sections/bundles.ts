import path from 'node:path';
import type { BenchContext } from '../context.ts';
import { type FunctionInfo, listFunctions } from '../functions.ts';
import type { BundleRow } from '../results.ts';
import { type Contributor, composition, type Synth, synthesize } from '../shipped.ts';

/** The typical data route: the composition and the init profile are read off it. */
export const TYPICAL_DATA_ROUTE = 'competitors/list';

export interface BundlesSection {
  synth: Synth;
  functions: FunctionInfo[];
  rows: BundleRow[];
  composition: Record<string, Contributor[]>;
}

/** Section 1: `cdk synth`, then every function's shipped bundle measured on disk in the cloud assembly. */
export async function shippedBundles(ctx: BenchContext): Promise<BundlesSection> {
  ctx.log('cdk synth (the CDK CLI, cdk.json app and context) into a fresh cloud assembly');
  const synth = await synthesize(path.join(ctx.workDir, 'cdk.out'));
  ctx.log(
    `  synthesized ${synth.stackName} in ${synth.seconds.toFixed(0)} s: ${synth.assets.size} function assets`,
  );
  const functions = listFunctions();
  const rows: BundleRow[] = functions.map((f) => {
    const asset = synth.assets.get(f.key);
    return {
      key: f.key,
      label: f.label,
      kind: f.kind,
      bytes: asset?.bytes ?? null,
      gzipBytes: asset?.gzipBytes ?? null,
      asset: asset ? path.basename(asset.dir) : null,
      budgetBytes: f.budgetBytes,
      withinBudget: f.budgetBytes === null || !asset ? null : asset.bytes <= f.budgetBytes,
    };
  });
  // Functions the stack builds that no table lists (none expected): reported, not silently dropped.
  for (const [key, asset] of synth.assets) {
    if (functions.some((f) => f.key === key)) continue;
    rows.push({
      key,
      label: 'not in the route, job or worker table',
      kind: 'job',
      bytes: asset.bytes,
      gzipBytes: asset.gzipBytes,
      asset: path.basename(asset.dir),
      budgetBytes: null,
      withinBudget: null,
    });
  }
  const measured = rows.filter((r) => r.bytes !== null);
  const biggest = (kind: (r: BundleRow) => boolean) =>
    [...measured.filter(kind)].sort((a, b) => b.bytes! - a.bytes!)[0]?.key;
  const focus = new Set(
    [
      TYPICAL_DATA_ROUTE,
      biggest((r) => r.kind === 'data'),
      biggest((r) => r.kind === 'provider'),
      ...measured.filter((r) => r.key.startsWith('token-refresh/')).map((r) => r.key),
      'documents/worker',
    ].filter((k): k is string => k !== undefined && synth.assets.has(k)),
  );
  const parts: Record<string, Contributor[]> = {};
  for (const key of focus) parts[key] = (await composition(synth.assets.get(key)!)).slice(0, 12);
  return { synth, functions, rows, composition: parts };
}
