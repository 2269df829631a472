import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import {
  BUNDLE_EXTERNALS,
  BUNDLE_MAIN_FIELDS,
  BUNDLE_TARGET,
  ESM_REQUIRE_SHIM,
} from '../../infra/constructs/bundling.ts';
import { REPO_ROOT } from './shipped.ts';

/** The reference bundle's key in the cold-init section (not a function of the stack; never in cdk.out). */
export const FLOOR_KEY = '__reference__/handler-stack';

export const FLOOR_LABEL = 'pg (a pool, the type parsers the app sets), the Powertools logger, middy';

/**
 * What every data route carries before any code of its own: the PostgreSQL driver with a pool, the Powertools
 * logger and middy, wired as shared/db/pool.ts and shared/logger.ts do, and a handler that uses them (so nothing
 * is tree-shaken away). Measured beside the shipped bundles as a reference point for the cold-init target, never
 * as a figure of what ships.
 */
const FLOOR_SOURCE = `
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import pg from 'pg';
const logger = new Logger();
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (v) => new Date(v).toISOString());
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
let pool;
export const handler = middy(async () => {
  pool ??= new pg.Pool({ max: 1 });
  logger.info('query');
  return (await pool.query('select 1')).rows;
});
`;

/**
 * Bundles the reference with the functions' own esbuild options (infra/constructs/bundling.ts; ESM, minified,
 * as BackendFunction asks CDK for) into `dir`/index.mjs.
 */
export async function buildFloor(dir: string): Promise<{ file: string; bytes: number }> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'index.mjs');
  await build({
    stdin: { contents: FLOOR_SOURCE, resolveDir: REPO_ROOT, loader: 'js', sourcefile: 'handler-stack.mjs' },
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE_TARGET,
    mainFields: [...BUNDLE_MAIN_FIELDS],
    minify: true,
    banner: { js: ESM_REQUIRE_SHIM },
    external: [...BUNDLE_EXTERNALS],
    logLevel: 'error',
  });
  return { file, bytes: (await stat(file)).size };
}
