import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The import direction is a lint rule (biome.json `overrides` → `noRestrictedImports`): shared/ never imports
 * its callers (functions/, the composition root, or local/), functions/ never imports local/, and neither imports
 * zod's classic build (`zod`; Lambda code uses `zod/mini`). These tests run
 * the repository's own biome and its own biome.json (copied verbatim) over planted files, so a rule that stops
 * matching fails here.
 */
const root = path.resolve(import.meta.dirname, '../..');
const biome = path.join(root, 'node_modules/.bin/biome');
const run = promisify(execFile);

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'brand-layering-'));
  await copyFile(path.join(root, 'biome.json'), path.join(dir, 'biome.json'));
  await copyFile(path.join(root, '.gitignore'), path.join(dir, '.gitignore'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Lints one planted file; `failed` is biome's verdict, `output` its diagnostics. */
async function lintPlanted(file: string, source: string): Promise<{ failed: boolean; output: string }> {
  const target = path.join(dir, file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, source);
  try {
    const { stdout, stderr } = await run(biome, ['lint', '--colors=off', file], { cwd: dir });
    return { failed: false, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { failed: true, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  } finally {
    await rm(target);
  }
}

const importing = (specifier: string) =>
  `import { thing } from '${specifier}';\n\nexport const used = thing;\n`;

describe('import direction (biome noRestrictedImports)', () => {
  it.each([
    ['shared/http/planted.ts', '#functions/routes'],
    ['shared/planted.ts', '#local/gateway'],
    ['shared/cloud-storage/planted.ts', '../../functions/routes.ts'],
    ['shared/db/planted.ts', '../../local/postgres.ts'],
    ['functions/competitors/planted.ts', '#local/gateway'],
    ['functions/planted.ts', '../local/ports.ts'],
    // Lambda code: zod/mini only (zod's classic build would land in the bundles).
    ['shared/resources/planted.ts', 'zod'],
    ['functions/planted.ts', 'zod'],
  ])('refuses %s importing %s', async (file, specifier) => {
    const { failed, output } = await lintPlanted(file, importing(specifier));
    expect(failed).toBe(true);
    expect(output).toContain(`${file}:1:23 lint/style/noRestrictedImports`);
  });

  it.each([
    ['functions/competitors/planted.ts', '#functions/define-handler'],
    ['functions/planted.ts', '#shared/http/route'],
    ['local/planted.ts', '#functions/routes'],
    ['test/planted.ts', '#local/gateway'],
    ['shared/http/planted.ts', '#shared/errors'],
    ['shared/resources/planted.ts', 'zod/mini'],
    ['test/planted.ts', 'zod'],
  ])('allows %s importing %s', async (file, specifier) => {
    const { failed, output } = await lintPlanted(file, importing(specifier));
    expect(output).not.toContain('noRestrictedImports');
    expect(failed).toBe(false);
  });
});

describe('shared/ as it is', () => {
  it('imports nothing from functions/ or local/', async () => {
    const files = (await readdir(path.join(root, 'shared'), { recursive: true })).filter((f) =>
      f.endsWith('.ts'),
    );
    expect(files.length).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const file of files) {
      const source = await readFile(path.join(root, 'shared', file), 'utf8');
      if (/from\s+'(#functions\/|#local\/|(\.\.\/)+(functions|local)\/)/.test(source)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});
