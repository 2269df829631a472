import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lambdaInitEnv, lambdaLaunch } from '../cold-start.ts';
import type { ProfileBucket } from '../profile.ts';
import { contributorName, REPO_ROOT, sourceMapLookup } from '../shipped.ts';

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfileFile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** CPU milliseconds per run (sampled), of the profiled bundle and of the empty handler under the same client. */
export interface InitBreakdown {
  bundleBytes: number;
  /** All on-CPU time of the init. */
  totalMs: number;
  baselineTotalMs: number;
  /** V8 parsing and compiling ES module source when Node links it (`compileSourceTextModule`): the bundle's, and
   * the runtime client's own (which the baseline's figure is). */
  compileMs: number;
  baselineCompileMs: number;
  /** Node's built-in modules compiled for this init (`compileForInternalLoader`): those the runtime client loads
   * are in the baseline's figure too, the difference is what the bundle's imports add (crypto, console, …). */
  builtinsMs: number;
  baselineBuiltinsMs: number;
  /** Running the bundle's module code, inclusive: every sample under any of its frames. */
  evaluationMs: number;
  /** The same by package or project folder, inclusive (a package's time includes what it calls, such as the
   * lazy compile of the CommonJS modules it requires): where the evaluation goes. */
  evaluation: Array<{ name: string; ms: number }>;
}

export interface InitProfile {
  key: string;
  runs: number;
  /** Samples per run (100 µs interval): the on-CPU time of the init, by package or project folder. */
  samplesPerRun: number;
  buckets: ProfileBucket[];
  breakdown: InitBreakdown;
}

const run = (args: string[], env: NodeJS.ProcessEnv, cwd: string) =>
  new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, cwd, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`init profile exited ${code}`))));
  });

/** `runs` cold inits of one bundle as Lambda starts it, each under `--cpu-prof` (100 µs samples), into `dir`. */
async function profiles(
  ric: { entry: string; preload: string },
  bundleFile: string,
  key: string,
  runs: number,
  dir: string,
): Promise<CpuProfileFile[]> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < runs; i++) {
    const launch = lambdaLaunch(ric, bundleFile, lambdaInitEnv(key), [
      '--cpu-prof',
      '--cpu-prof-interval',
      '100',
      '--cpu-prof-dir',
      dir,
    ]);
    await run(launch.args, launch.env, launch.cwd);
  }
  return Promise.all(
    (await readdir(dir)).map(
      async (name) => JSON.parse(await readFile(path.join(dir, name), 'utf8')) as CpuProfileFile,
    ),
  );
}

/** Each sampled node with its on-CPU microseconds (idle left out) and its parent, for the walks below. */
function sampled(profile: CpuProfileFile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const micros = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    micros.set(id, (micros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const out: Array<{ node: ProfileNode; us: number; ancestry: () => ProfileNode[] }> = [];
  for (const [id, us] of micros) {
    const node = nodes.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    out.push({
      node,
      us,
      ancestry: () => {
        const chain: ProfileNode[] = [];
        for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
          chain.push(nodes.get(at)!);
        return chain;
      },
    });
  }
  return out;
}

const selfMs = (all: CpuProfileFile[], match: (node: ProfileNode) => boolean) =>
  all.reduce((sum, p) => sum + sampled(p).reduce((s, { node, us }) => s + (match(node) ? us : 0), 0), 0) /
  1000 /
  Math.max(1, all.length);

const isModuleCompile = (n: ProfileNode) => n.callFrame.functionName === 'compileSourceTextModule';
const isBuiltinCompile = (n: ProfileNode) => n.callFrame.functionName === 'compileForInternalLoader';

/**
 * Where a shipped bundle's cold init spends its CPU: `runs` fresh processes under `--cpu-prof` (100 µs
 * samples), each sample's function located in the bundle's own source map and counted by package or project
 * folder; Node's own module loading as `node: module loader`, the rest of Node by area. The breakdown puts
 * milliseconds on the three parts a bundle adds to the empty handler's init (profiled the same way): compiling
 * its source, the Node built-ins its imports load, and running its module code (by package, inclusive).
 */
export async function profileInit(
  ric: { entry: string; preload: string },
  bundleFile: string,
  key: string,
  runs: number,
  dir: string,
  sourceDir: string,
  baselineFile: string,
): Promise<InitProfile> {
  const all = await profiles(ric, bundleFile, key, runs, path.join(dir, 'bundle'));
  const baseline = await profiles(ric, baselineFile, key, runs, path.join(dir, 'baseline'));
  const ricUrl = new URL(`file://${ric.entry}`).href;
  const lookup = await sourceMapLookup(bundleFile, sourceDir);
  const bundleUrl = new URL(`file://${bundleFile}`).href;
  const packageOf = (n: ProfileNode) => {
    const source = lookup(n.callFrame.lineNumber, n.callFrame.columnNumber);
    return source === undefined ? undefined : contributorName(path.relative(REPO_ROOT, source));
  };
  const counts = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let evaluation = 0;
  for (const profile of all) {
    for (const { node, us, ancestry } of sampled(profile)) {
      const { url, functionName } = node.callFrame;
      let bucket: string;
      if (url === bundleUrl) {
        bucket =
          packageOf(node) ??
          "the bundle's top-level code (esbuild hoists every ESM module's top-level statements into one scope)";
      } else if (url === ricUrl || url.endsWith('/bench-preload.cjs')) {
        bucket = "Lambda's runtime interface client (the baseline pays it too)";
      } else if (url.startsWith('node:internal/modules') || url.startsWith('node:internal/vm')) {
        bucket = 'node: module loader (resolve, parse, link)';
      } else if (url.startsWith('node:'))
        bucket = 'node: start-up and other internals (the baseline pays them too)';
      else if (url.startsWith('file://')) {
        const file = fileURLToPath(url);
        bucket = /node_modules\/(@aws-sdk|@smithy)\//.test(file)
          ? `runtime SDK: ${contributorName(file)}`
          : path.basename(file);
      } else if (functionName === '(garbage collector)') bucket = 'garbage collector';
      else if (functionName === '(program)') bucket = 'native (compile, no JS frame)';
      else bucket = `vm: ${functionName || '(anonymous)'}`;
      counts.set(bucket, (counts.get(bucket) ?? 0) + us);
      total += us;
      const frames = ancestry().filter((n) => n.callFrame.url === bundleUrl);
      if (frames.length === 0) continue;
      evaluation += us;
      for (const name of new Set(frames.map((n) => packageOf(n) ?? '(top level)')))
        inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
  }
  const perRun = (us: number) => us / 1000 / Math.max(1, all.length);
  return {
    key,
    runs,
    samplesPerRun: perRun(total) * 10,
    buckets: [...counts.entries()]
      .map(([name, n]) => ({ name, share: n / Math.max(1, total) }))
      .sort((a, b) => b.share - a.share)
      .slice(0, 14),
    breakdown: {
      bundleBytes: (await stat(bundleFile)).size,
      totalMs: perRun(total),
      baselineTotalMs: selfMs(baseline, () => true),
      compileMs: selfMs(all, isModuleCompile),
      baselineCompileMs: selfMs(baseline, isModuleCompile),
      builtinsMs: selfMs(all, isBuiltinCompile),
      baselineBuiltinsMs: selfMs(baseline, isBuiltinCompile),
      evaluationMs: perRun(evaluation),
      evaluation: [...inclusive.entries()]
        .filter(([name]) => name !== '(top level)')
        .map(([name, us]) => ({ name, ms: perRun(us) }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 10),
    },
  };
}

const msOf = (value: number) => `${value.toFixed(1)} ms`;

/** What the bundle's compile costs over the empty handler's, per KB of its source (µs). */
const compileUsPerKb = (b: InitBreakdown) =>
  ((b.compileMs - b.baselineCompileMs) * 1000) / (b.bundleBytes / 1024);

/** The breakdown in words, for the report and the missed target's explanation. */
export function describeBreakdown(b: InitBreakdown): string {
  return (
    `its init's CPU under the profiler ${msOf(b.totalMs)} against the empty handler's ${msOf(b.baselineTotalMs)}; ` +
    `compiling its ${(b.bundleBytes / 1024).toFixed(0)} KB of source +${msOf(b.compileMs - b.baselineCompileMs)} (${compileUsPerKb(b).toFixed(0)} µs per KB), ` +
    `the Node built-ins its imports load +${msOf(b.builtinsMs - b.baselineBuiltinsMs)}, ` +
    `running its module code ${msOf(b.evaluationMs)} (inclusive, by package: ${b.evaluation
      .slice(0, 6)
      .map((e) => `${e.name} ${msOf(e.ms)}`)
      .join(', ')})`
  );
}
