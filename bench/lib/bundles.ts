import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import type { FunctionInfo } from './functions.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * The esbuild options of infra/constructs/backend-function.ts (NodejsFunction `bundling`): ESM, node24, minified,
 * `module,main` main fields, the createRequire banner, external source maps without sources, the AWS SDK
 * left to the runtime (`bundleAwsSDK: false`: `@aws-sdk/*` and `pg-native` external). Sizes are those of the `.mjs` that ships (maps excluded).
 */
export const ESM_REQUIRE_SHIM =
  "import { createRequire as __brandCreateRequire } from 'node:module'; const require = __brandCreateRequire(import.meta.url);";

export const CDK_BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: { js: ESM_REQUIRE_SHIM },
  minify: true,
  sourcemap: 'external',
  sourcesContent: false,
  external: ['pg-native', '@aws-sdk/*'],
  logLevel: 'error',
  outExtension: { '.js': '.mjs' },
  absWorkingDir: REPO_ROOT,
} satisfies esbuild.BuildOptions;

export const BASELINE_KEY = '__baseline__/empty';
const BASELINE_SOURCE = 'export const handler = async () => ({});\n';

export interface BundleInfo {
  key: string;
  file: string;
  bytes: number;
  gzipBytes: number;
  mapBytes: number;
}

export interface Contributor {
  name: string;
  bytes: number;
}

export interface BuildResult {
  bundles: Map<string, BundleInfo>;
  metafile: esbuild.Metafile;
  /** Bytes in the output per package (node_modules) or project folder, per function key. */
  composition: Map<string, Contributor[]>;
  buildMs: number;
}

function contributorName(input: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (m) return m[1]!;
  return input.split('/').slice(0, 2).join('/');
}

function composition(output: esbuild.Metafile['outputs'][string]): Contributor[] {
  const bytes = new Map<string, number>();
  for (const [input, info] of Object.entries(output.inputs)) {
    const name = contributorName(input);
    bytes.set(name, (bytes.get(name) ?? 0) + info.bytesInOutput);
  }
  return [...bytes.entries()].map(([name, b]) => ({ name, bytes: b })).sort((a, b) => b.bytes - a.bytes);
}

async function describe(key: string, file: string): Promise<BundleInfo> {
  const code = await readFile(file);
  const map = await stat(`${file}.map`).catch(() => undefined);
  return { key, file, bytes: code.length, gzipBytes: gzipSync(code).length, mapBytes: map?.size ?? 0 };
}

/**
 * Builds every function plus the empty-handler baseline into `outDir`, one self-contained bundle per entry
 * (no code splitting: the same output as one NodejsFunction build per entry).
 */
export async function buildAll(
  functions: readonly FunctionInfo[],
  outDir: string,
  extra: Partial<esbuild.BuildOptions> = {},
): Promise<BuildResult> {
  const started = performance.now();
  const entryPoints = Object.fromEntries(
    functions.map((f) => [f.key, path.join(REPO_ROOT, 'functions', `${f.key}.ts`)]),
  );
  const result = await esbuild.build({
    ...CDK_BUILD_OPTIONS,
    ...extra,
    entryPoints,
    outdir: outDir,
    metafile: true,
  });
  const baseline = await esbuild.build({
    ...CDK_BUILD_OPTIONS,
    stdin: { contents: BASELINE_SOURCE, loader: 'ts', resolveDir: REPO_ROOT, sourcefile: 'baseline.ts' },
    outfile: path.join(outDir, `${BASELINE_KEY}.mjs`),
  });
  void baseline;
  const buildMs = performance.now() - started;
  const bundles = new Map<string, BundleInfo>();
  const compositionByKey = new Map<string, Contributor[]>();
  for (const f of functions) {
    const file = path.join(outDir, `${f.key}.mjs`);
    bundles.set(f.key, await describe(f.key, file));
    const output = result.metafile.outputs[path.relative(REPO_ROOT, file)];
    if (output) compositionByKey.set(f.key, composition(output));
  }
  bundles.set(BASELINE_KEY, await describe(BASELINE_KEY, path.join(outDir, `${BASELINE_KEY}.mjs`)));
  return { bundles, metafile: result.metafile, composition: compositionByKey, buildMs };
}

/** Bundles a few lines of source (resolved from the repository root) with the CDK's options. */
export async function buildSource(name: string, source: string, outDir: string): Promise<BundleInfo> {
  const file = path.join(outDir, `${name}.mjs`);
  await esbuild.build({
    ...CDK_BUILD_OPTIONS,
    stdin: { contents: source, loader: 'ts', resolveDir: REPO_ROOT, sourcefile: `${name}.ts` },
    outfile: file,
  });
  return describe(name, file);
}

/**
 * How a package got into a function's bundle: the shortest import chain from the entry file to the package's
 * first file, as project files (node_modules steps after the first are left out). Read from esbuild's metafile.
 */
export function importChain(metafile: esbuild.Metafile, key: string, pkg: string): string[] | undefined {
  const entry = `functions/${key}.ts`;
  const prev = new Map<string, string | null>([[entry, null]]);
  const queue = [entry];
  const inPkg = (file: string) => file.includes(`node_modules/${pkg}/`);
  while (queue.length) {
    const file = queue.shift()!;
    if (inPkg(file)) {
      const chain: string[] = [];
      for (let at: string | null = file; at !== null; at = prev.get(at) ?? null) chain.unshift(at);
      const steps = chain.map((f) => (f.includes('node_modules/') ? contributorName(f) : f));
      return steps.filter((step, i) => step !== steps[i - 1]);
    }
    for (const imp of metafile.inputs[file]?.imports ?? []) {
      if (imp.external || prev.has(imp.path)) continue;
      prev.set(imp.path, file);
      queue.push(imp.path);
    }
  }
  return undefined;
}

/**
 * What-if builds, to show what a fix would buy rather than guess it: the project's `import { z } from 'zod'`
 * (the `z` object re-exports every locale and the JSON-schema code, so nothing can be tree-shaken) rewritten to
 * `import * as z from 'zod'` in memory, and the AWS SDK left to the Lambda runtime (which ships SDK v3).
 */
export const zodNamespaceImports: esbuild.Plugin = {
  name: 'bench-zod-namespace-imports',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes('node_modules')) return undefined;
      const source = await readFile(args.path, 'utf8');
      return {
        contents: source.replace(/import \{ z \} from 'zod';/g, "import * as z from 'zod';"),
        loader: 'ts',
      };
    });
  },
};

/**
 * Stands in for `@aws-sdk/client-secrets-manager` with classes that load nothing: what a function's init costs when
 * the DB secret's SDK client is not loaded at import (a dynamic import on first connection, or the secret read
 * through the Parameters and Secrets extension). Only for measuring; such a bundle cannot fetch a secret.
 */
export const deferSecretsManager: esbuild.Plugin = {
  name: 'bench-defer-secrets-manager',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/client-secrets-manager$/ }, () => ({
      path: 'client-secrets-manager',
      namespace: 'bench-deferred',
    }));
    build.onLoad({ filter: /.*/, namespace: 'bench-deferred' }, () => ({
      contents:
        'export class GetSecretValueCommand { constructor(input) { this.input = input; } }\n' +
        "export class SecretsManagerClient { send() { throw new Error('deferred in this what-if build'); } }\n",
      loader: 'js',
    }));
  },
};

/** `bundleAwsSDK: false` in NodejsFunction: the runtime's SDK v3 is used instead of a bundled one. */
export const AWS_SDK_EXTERNAL = ['pg-native', '@aws-sdk/*'];
