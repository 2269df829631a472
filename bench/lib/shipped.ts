import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
/** The tag infra/constructs/backend-function.ts puts on every function: its entry file under functions/. */
const ENTRY_TAG = 'brand-cloud:entry';

export interface ShippedAsset {
  key: string;
  /** asset.<hash>/ in the cloud assembly. */
  dir: string;
  file: string;
  bytes: number;
  gzipBytes: number;
  mapBytes: number;
}

export interface Contributor {
  name: string;
  bytes: number;
}

export interface Synth {
  /** The cloud assembly `cdk synth` wrote in this run. */
  outDir: string;
  seconds: number;
  stackName: string;
  assets: Map<string, ShippedAsset>;
}

/**
 * Runs the CDK CLI exactly as `npm run synth` does (`cdk synth`, the app of cdk.json, its context, cdk-nag), with
 * the cloud assembly written to `outDir`, and finds each function's bundle through the entry tag of its
 * AWS::Lambda::Function resource (Code.S3Key → asset.<hash>/index.mjs).
 */
export async function synthesize(outDir: string): Promise<Synth> {
  const started = performance.now();
  const cdk = path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk');
  await promisify(execFile)(cdk, ['synth', '--quiet', '--output', outDir], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' },
  });
  const seconds = (performance.now() - started) / 1000;
  const manifest = JSON.parse(await readFile(path.join(outDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const [stackName, stack] = Object.entries(manifest.artifacts).find(
    ([, a]) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile?.startsWith('BrandCloud-'),
  )!;
  type Template = {
    Resources: Record<
      string,
      {
        Type: string;
        Metadata?: Record<string, unknown>;
        Properties?: { Code?: { S3Key?: string }; Tags?: Array<{ Key: string; Value: string }> };
      }
    >;
  };
  const readTemplate = async (file: string) =>
    JSON.parse(await readFile(path.join(outDir, file), 'utf8')) as Template;
  const main = await readTemplate(stack.properties!.templateFile!);
  // The route functions live in a nested stack (infra/constructs/functions.ts): its template is an asset of the
  // stack, named by the nested stack resource's `aws:asset:path`.
  const nested = await Promise.all(
    Object.values(main.Resources)
      .filter((r) => r.Type === 'AWS::CloudFormation::Stack')
      .map((r) => r.Metadata?.['aws:asset:path'])
      .filter((file): file is string => typeof file === 'string')
      .map(readTemplate),
  );
  const resources = [main, ...nested].flatMap((t) => Object.values(t.Resources));
  const assets = new Map<string, ShippedAsset>();
  for (const resource of resources) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const key = resource.Properties?.Tags?.find((t) => t.Key === ENTRY_TAG)?.Value;
    const s3Key = resource.Properties?.Code?.S3Key;
    if (!key || !s3Key) continue;
    const dir = path.join(outDir, `asset.${s3Key.replace(/\.zip$/, '')}`);
    const file = path.join(dir, 'index.mjs');
    const code = await readFile(file);
    const map = await stat(`${file}.map`).catch(() => undefined);
    assets.set(key, {
      key,
      dir,
      file,
      bytes: code.length,
      gzipBytes: gzipSync(code).length,
      mapBytes: map?.size ?? 0,
    });
  }
  return { outDir, seconds, stackName, assets };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** Decodes one line of source-map `mappings` into [generatedColumn, sourceIndex] per segment (other fields kept only for state). */
function decodeLine(line: string, state: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let column = 0;
  for (const segment of line.split(',')) {
    if (!segment) continue;
    const fields: number[] = [];
    let value = 0;
    let shift = 0;
    for (const ch of segment) {
      const digit = B64_INDEX.get(ch)!;
      value += (digit & 31) << shift;
      if (digit & 32) shift += 5;
      else {
        fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = 0;
        shift = 0;
      }
    }
    column += fields[0]!;
    if (fields.length >= 4) {
      state[0]! += fields[1]!;
      state[1]! += fields[2]!;
      state[2]! += fields[3]!;
      out.push([column, state[0]!]);
    } else out.push([column, -1]);
  }
  return out;
}

/** `node_modules/@scope/pkg/…` → `@scope/pkg`; project files → their folder (`shared/db`). */
export function contributorName(source: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (m) return m[1]!;
  return source.split('/').slice(0, 2).join('/');
}

/**
 * Bytes of the shipped bundle per package or project folder, read from the asset's own source map (each mapped
 * segment's generated characters attributed to its source; unmapped bytes — banner, glue — as `(unmapped)`).
 */
export async function composition(asset: ShippedAsset): Promise<Contributor[]> {
  const code = await readFile(asset.file, 'utf8');
  const map = JSON.parse(await readFile(`${asset.file}.map`, 'utf8')) as {
    sources: string[];
    mappings: string;
  };
  const lines = code.split('\n');
  // Sources are relative to the asset; the bundling ran in the repository, so they resolve into it.
  const names = map.sources.map((source) =>
    contributorName(path.relative(REPO_ROOT, path.resolve(asset.dir, source))),
  );
  const byName = new Map<string, number>();
  const add = (name: string, n: number) => byName.set(name, (byName.get(name) ?? 0) + n);
  const state = [0, 0, 0];
  map.mappings.split(';').forEach((encoded, i) => {
    const line = lines[i] ?? '';
    const segments = decodeLine(encoded, state);
    let covered = 0;
    segments.forEach(([col, source], j) => {
      const end = segments[j + 1]?.[0] ?? line.length;
      const n = Math.max(0, end - col);
      covered += n;
      add(source >= 0 ? (names[source] ?? '?') : '(unmapped)', n);
    });
    add('(unmapped)', line.length + 1 - covered);
  });
  for (let i = map.mappings.split(';').length; i < lines.length; i++) add('(unmapped)', lines[i]!.length + 1);
  // Characters → bytes: the bundles are ASCII but for string literals; scale to the file's byte size.
  const chars = [...byName.values()].reduce((a, b) => a + b, 0);
  const scale = asset.bytes / Math.max(1, chars);
  return [...byName.entries()]
    .map(([name, n]) => ({ name, bytes: Math.round(n * scale) }))
    .sort((a, b) => b.bytes - a.bytes);
}

/**
 * (line, column) in a bundle (0-based, as V8 reports a function's position) → the absolute source file the
 * bundle's source map names for it.
 */
export async function sourceMapLookup(
  file: string,
  /** The directory the map's relative sources are relative to (the asset's own, in cdk.out). */
  sourceDir = path.dirname(file),
): Promise<(line: number, column: number) => string | undefined> {
  const map = JSON.parse(await readFile(`${file}.map`, 'utf8')) as { sources: string[]; mappings: string };
  const state = [0, 0, 0];
  const lines = map.mappings.split(';').map((encoded) => decodeLine(encoded, state));
  const sources = map.sources.map((s) => path.resolve(sourceDir, s));
  return (line, column) => {
    const segments = lines[line];
    if (!segments?.length) return undefined;
    let lo = 0;
    let hi = segments.length - 1;
    if (segments[0]![0] > column) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segments[mid]![0] <= column) lo = mid;
      else hi = mid - 1;
    }
    const source = segments[lo]![1];
    return source >= 0 ? sources[source] : undefined;
  };
}

/** The empty handler every cold-init figure is divided by (plain ESM, nothing imported). */
export const BASELINE_KEY = '__baseline__/empty';

export interface LambdaLayout {
  /** Copy of a function's asset as /var/task would hold it. */
  taskFile(key: string): string;
  /** The bare-import harness (bench/init-harness.mjs): Node, then `import()` of the bundle, nothing else. */
  runtimeFile: string;
  /** Lambda's runtime interface client (aws-lambda-ric's index.mjs, as /var/runtime holds it) and its preload. */
  ric: { entry: string; preload: string; version: string };
  root: string;
}

/**
 * A Lambda-like file layout outside the repository: each measured asset copied into its own task directory, the
 * runtime interface client and the bare-import script beside them, and a node_modules holding only what the nodejs24.x runtime provides to
 * a bundle (`@aws-sdk/*` and `@smithy/*`: BUNDLE_EXTERNALS). Nothing else of the project's node_modules is
 * resolvable from a task, so a bundle that needs anything it did not bundle fails its init here as in Lambda.
 */
export async function lambdaLayout(
  root: string,
  synth: Synth,
  keys: readonly string[],
): Promise<LambdaLayout> {
  await mkdir(path.join(root, 'node_modules'), { recursive: true });
  for (const scope of ['@aws-sdk', '@smithy']) {
    await symlink(path.join(REPO_ROOT, 'node_modules', scope), path.join(root, 'node_modules', scope), 'dir');
  }
  const taskDir = (key: string) => path.join(root, 'task', key.replace(/\W/g, '-'));
  for (const key of keys) {
    const asset = synth.assets.get(key);
    if (!asset) continue;
    await cp(asset.dir, taskDir(key), { recursive: true });
  }
  await mkdir(taskDir(BASELINE_KEY), { recursive: true });
  await writeFile(
    path.join(taskDir(BASELINE_KEY), 'index.mjs'),
    'export const handler = async () => ({});\n',
  );
  const runtimeFile = path.join(root, 'init-runtime.mjs');
  await cp(path.join(REPO_ROOT, 'bench', 'init-harness.mjs'), runtimeFile);
  // The runtime interface client outside every task directory (Lambda keeps it in /var/runtime), its native
  // binding an empty file that bench/ric-preload.cjs answers for (see there why it is never used).
  const ricPackage = path.join(REPO_ROOT, 'node_modules', 'aws-lambda-ric');
  const runtimeDir = path.join(root, 'runtime');
  await mkdir(runtimeDir, { recursive: true });
  for (const file of ['index.mjs', 'LICENSE', 'NOTICE'])
    await cp(path.join(ricPackage, file), path.join(runtimeDir, file));
  await writeFile(path.join(runtimeDir, 'rapid-client.node'), '');
  const preload = path.join(runtimeDir, 'bench-preload.cjs');
  await cp(path.join(REPO_ROOT, 'bench', 'ric-preload.cjs'), preload);
  const { version } = JSON.parse(await readFile(path.join(ricPackage, 'package.json'), 'utf8')) as {
    version: string;
  };
  return {
    root,
    runtimeFile,
    ric: { entry: path.join(runtimeDir, 'index.mjs'), preload, version },
    taskFile: (key) => path.join(taskDir(key), 'index.mjs'),
  };
}
