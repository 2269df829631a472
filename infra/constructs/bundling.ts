/**
 * How every function is bundled (BackendFunction's esbuild options, through CDK's NodejsFunction): plain values
 * with no CDK import, so the bench can bundle its reference handler the same way (bench/lib/floor.ts).
 * BackendFunction adds: ESM format, minified, external source maps without sources content.
 */
export const BUNDLE_TARGET = 'node24';
export const BUNDLE_MAIN_FIELDS = ['module', 'main'] as const;

/** ESM output still meets CommonJS dependencies that call require() for Node built-ins. */
export const ESM_REQUIRE_SHIM =
  "import { createRequire as __brandCreateRequire } from 'node:module'; const require = __brandCreateRequire(import.meta.url);";

/**
 * Left out of every bundle. `@aws-sdk/*` and `@smithy/*` (the AWS SDK v3 and its core) come from the Lambda
 * runtime; `pg-native` is pg's optional native binding, which we never load; `encoding` is node-fetch's optional
 * charset converter (node-fetch 2 under the Dropbox SDK requires it inside a try, for `textConverted()`, which we
 * never call): left out, the bundle does not depend on whether some dev dependency happened to install it
 * (iconv-lite alone is ~480 KB, a third of a provider route's budget).
 *
 * Why the runtime's SDK and not a bundled one: it is about 300 KB of every data route's bundle (the bundles go
 * from ~250 KB to ~550 KB, provider routes from ~1.4 MB to ~1.9 MB) and the matching share of every cold start,
 * on ~50 functions, while we call only long-stable operations of three clients (KMS GenerateDataKey/Decrypt,
 * Secrets Manager GetSecretValue, Cognito's token-authorised user APIs). AWS keeps the runtime's SDK patched.
 * The price is that production runs the runtime's SDK version rather than the one in package-lock.json; the
 * tests therefore never depend on an SDK feature newer than the clients' first v3 releases, and anything that
 * needs a newer one would be bundled explicitly (by leaving it out of this list).
 *
 * Setting `externalModules` replaces CDK's defaults (which are exactly the two SDK globs), so they are listed
 * here; test/infra/bundles.test.ts checks the synthesized assets contain no SDK code.
 */
export const BUNDLE_EXTERNALS = ['@aws-sdk/*', '@smithy/*', 'pg-native', 'encoding'] as const;
