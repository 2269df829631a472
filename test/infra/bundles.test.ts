import { readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobEntries } from '#functions/jobs';
import { routeEntries } from '#functions/routes';
import { ENTRY_TAG } from '../../infra/constructs/backend-function.ts';
import { BUNDLE_EXTERNALS } from '../../infra/constructs/bundling.ts';
import { beforeAllStages } from './support/stages.ts';
import { resourcesOfType, type Synthesized, tagValue } from './support/synth.ts';

/**
 * What ships: the bundles `cdk synth` wrote into the cloud assembly (asset.<hash>/index.mjs), measured on disk,
 * not a re-creation of them. Budgets per function kind (the bench reports the figures and their history):
 * data routes (database only) ≤ 300 KB, routes that talk to the providers or the vault ≤ 1.5 MB.
 */
const DATA_ROUTE_MAX_BYTES = 300 * 1024;
const PROVIDER_ROUTE_MAX_BYTES = 1.5 * 1024 * 1024;

/**
 * The packages a bundle may import from the nodejs24.x runtime (BUNDLE_EXTERNALS): AWS SDK v3 packages the
 * runtime ships (clients, the lib-* helpers, the S3 presigners, the DynamoDB marshalling utility that the AWS
 * Encryption SDK's keystore imports statically). Anything else left external would fail at cold start.
 */
const RUNTIME_PROVIDED =
  /^@aws-sdk\/(client-[a-z0-9-]+|lib-[a-z0-9-]+|util-dynamodb|s3-request-presigner|s3-presigned-post)$/;

let dev: Synthesized;
beforeAllStages((s) => ({ dev } = s));

interface Shipped {
  key: string;
  dir: string;
  bytes: number;
  code: string;
  sources: string[];
}

function shipped(key: string): Shipped {
  const found = resourcesOfType(dev.json, 'AWS::Lambda::Function').filter(
    ([, fn]) => tagValue(fn, ENTRY_TAG) === key,
  );
  expect(found, key).toHaveLength(1);
  const s3Key: string = found[0]![1].Properties.Code.S3Key;
  const dir = path.join(dev.dir, `asset.${s3Key.replace(/\.zip$/, '')}`);
  const file = path.join(dir, 'index.mjs');
  const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
  return {
    key,
    dir,
    bytes: statSync(file).size,
    code: readFileSync(file, 'utf8'),
    sources: map.sources.map((source) => path.resolve(dir, source)),
  };
}

const routes = routeEntries();
const isProviderRoute = (caps: readonly string[]) => caps.includes('providers') || caps.includes('vault');
const dataRoutes = routes.filter(([, r]) => !isProviderRoute(r.capabilities)).map(([k]) => k);
const providerRoutes = routes.filter(([, r]) => isProviderRoute(r.capabilities)).map(([k]) => k);
const everyFunction = [...routes.map(([k]) => k), ...jobEntries().map(([k]) => k)];

/** Bare specifiers of the static and dynamic imports esbuild left in the bundle (everything not bundled). */
function externalImports(code: string): string[] {
  const found = new Set<string>();
  const spec =
    /(?:\bfrom|\bimport\s*\(?)\s*["']((?:@[a-z0-9._-]+\/)?[a-z0-9_-][a-z0-9._-]*(?:\/[a-z0-9._-]+)*)["']/g;
  for (const m of code.matchAll(spec)) found.add(m[1]!);
  return [...found].filter((spec) => !spec.startsWith('node:') && !builtinModules.includes(spec)).sort();
}

describe('shipped bundles (cdk.out)', () => {
  it('classifies every route (the lists are not empty)', () => {
    expect(dataRoutes.length).toBeGreaterThan(10);
    expect(providerRoutes.length).toBeGreaterThan(2);
  });

  it.each(dataRoutes)('%s: data-route bundle ≤ 300 KB', (key) => {
    const { bytes } = shipped(key);
    expect(bytes, `${key}: ${(bytes / 1024).toFixed(0)} KB`).toBeLessThanOrEqual(DATA_ROUTE_MAX_BYTES);
  });

  it.each(providerRoutes)('%s: provider-route bundle ≤ 1.5 MB', (key) => {
    const { bytes } = shipped(key);
    expect(bytes, `${key}: ${(bytes / 1024).toFixed(0)} KB`).toBeLessThanOrEqual(PROVIDER_ROUTE_MAX_BYTES);
  });

  it.each(everyFunction)('%s: contains no AWS SDK code and imports only what the runtime provides', (key) => {
    const bundle = shipped(key);
    const sdkSources = bundle.sources.filter((s) => /[\\/]node_modules[\\/]@(aws-sdk|smithy)[\\/]/.test(s));
    expect(sdkSources).toEqual([]);
    for (const spec of externalImports(bundle.code)) {
      expect(spec, `${key} imports ${spec} at run time`).toMatch(RUNTIME_PROVIDED);
    }
  });

  it('imports the SDK clients it uses from the runtime (the externals are in effect, not just absent code)', () => {
    const login = shipped('auth/login');
    expect(externalImports(login.code)).toContain('@aws-sdk/client-cognito-identity-provider');
    const connect = providerRoutes
      .map(shipped)
      .find((b) => externalImports(b.code).includes('@aws-sdk/client-kms'));
    expect(connect, 'a vault route importing @aws-sdk/client-kms').toBeDefined();
  });

  // What a function imports statically, it loads at every cold start. The S3 client and its helpers are among the
  // heaviest modules the runtime offers, so only a route granted the document store may import them.
  const withoutStore = routes.filter(([, r]) => !r.capabilities.some((c) => c.startsWith('documents-')));
  it.each(withoutStore.map(([k]) => k))(
    '%s: without a document-store capability, loads no S3 code',
    (key) => {
      const imports = externalImports(shipped(key).code);
      expect(imports.filter((spec) => /^@aws-sdk\/(client-s3|lib-storage|s3-)/.test(spec))).toEqual([]);
    },
  );

  // zod's classic build builds every method into every schema instance and cannot be tree-shaken: ~90 KB of a data
  // route's bundle and several ms of its cold init. Runtime schemas use zod/mini (functions, only the checks used).
  it.each(everyFunction)('%s: contains no zod classic code (runtime schemas use zod/mini)', (key) => {
    const classic = shipped(key).sources.filter((s) =>
      /[\\/]node_modules[\\/]zod[\\/]v4[\\/]classic[\\/]/.test(s),
    );
    expect(classic).toEqual([]);
  });

  it('lists the SDK and its core among the externals (externalModules replaces CDK defaults)', () => {
    expect(BUNDLE_EXTERNALS).toEqual(expect.arrayContaining(['@aws-sdk/*', '@smithy/*']));
  });
});
