import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lambdaInitEnv, lambdaLaunch } from '../cold-start.ts';
import type { ProfileBucket } from '../profile.ts';
import { contributorName, REPO_ROOT, sourceMapLookup } from '../shipped.ts';

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}

export interface InitProfile {
  key: string;
  runs: number;
  /** Samples per run (100 µs interval): the on-CPU time of the init, by package or project folder. */
  samplesPerRun: number;
  buckets: ProfileBucket[];
}

const run = (args: string[], env: NodeJS.ProcessEnv, cwd: string) =>
  new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, cwd, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`init profile exited ${code}`))));
  });

/**
 * Where a shipped bundle's cold init spends its CPU: `runs` fresh processes under `--cpu-prof` (100 µs
 * samples), each sample's function located in the bundle's own source map and counted by package or project
 * folder; Node's own module loading as `node: module loader`, the rest of Node by area.
 */
export async function profileInit(
  ric: { entry: string; preload: string },
  bundleFile: string,
  key: string,
  runs: number,
  dir: string,
  sourceDir: string,
): Promise<InitProfile> {
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
  const ricUrl = new URL(`file://${ric.entry}`).href;
  const lookup = await sourceMapLookup(bundleFile, sourceDir);
  const bundleUrl = new URL(`file://${bundleFile}`).href;
  const counts = new Map<string, number>();
  let total = 0;
  for (const name of await readdir(dir)) {
    const profile = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as { nodes: ProfileNode[] };
    for (const node of profile.nodes) {
      const hits = node.hitCount ?? 0;
      if (!hits) continue;
      const { url, functionName, lineNumber, columnNumber } = node.callFrame;
      let bucket: string;
      if (functionName === '(idle)') continue;
      if (url === bundleUrl) {
        const source = lookup(lineNumber, columnNumber);
        bucket =
          source === undefined
            ? "the bundle's top-level code (esbuild hoists every ESM module's top-level statements into one scope)"
            : contributorName(path.relative(REPO_ROOT, source));
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
      counts.set(bucket, (counts.get(bucket) ?? 0) + hits);
      total += hits;
    }
  }
  return {
    key,
    runs,
    samplesPerRun: total / runs,
    buckets: [...counts.entries()]
      .map(([name, n]) => ({ name, share: n / Math.max(1, total) }))
      .sort((a, b) => b.share - a.share)
      .slice(0, 14),
  };
}
