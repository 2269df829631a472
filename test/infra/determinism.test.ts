import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freshSynth,
  removeFreshSynth,
  resourcesOfType,
  type Synthesized,
  synthesizedStages,
} from './support/synth.ts';

let fresh: Synthesized | undefined;
let reference: Synthesized;

beforeAll(async () => {
  // A second, independent synth of the same sources (bundling redone from scratch) in another process than the
  // shared one; it runs before waiting on the shared one, so both proceed in parallel when vitest runs the
  // files side by side.
  fresh = await freshSynth();
  reference = (await synthesizedStages()).dev;
}, 900_000);

afterAll(() => {
  if (fresh) removeFreshSynth(fresh);
});

/** Bundle of every function of the stack → sha256 of each file in it. */
function assetDigests(s: Synthesized): Record<string, Record<string, string>> {
  const assets = resourcesOfType(s.json, 'AWS::Lambda::Function')
    .map(([, fn]) => fn.Properties.Code?.S3Key)
    .filter((key): key is string => typeof key === 'string')
    .map((key) => `asset.${key.replace(/\.zip$/, '')}`);
  expect(assets.length).toBeGreaterThan(2);
  const out: Record<string, Record<string, string>> = {};
  for (const asset of [...new Set(assets)].sort()) {
    const files: Record<string, string> = {};
    const walk = (sub: string) => {
      for (const entry of readdirSync(path.join(s.dir, asset, sub), { withFileTypes: true })) {
        const rel = path.join(sub, entry.name);
        if (entry.isDirectory()) walk(rel);
        else
          files[rel] = createHash('sha256')
            .update(readFileSync(path.join(s.dir, asset, rel)))
            .digest('hex');
      }
    };
    walk('');
    out[asset] = files;
  }
  return out;
}

describe('deterministic synth', () => {
  it('gives identical templates twice, nested stacks included (asset hashes included)', () => {
    expect(fresh!.templates.length).toBeGreaterThan(1);
    expect(fresh!.templates.map((t) => t.file)).toEqual(reference.templates.map((t) => t.file));
    for (const [i, t] of fresh!.templates.entries()) {
      expect(JSON.stringify(t.json, null, 1), t.file).toBe(
        JSON.stringify(reference.templates[i]!.json, null, 1),
      );
    }
  });

  it('gives byte-identical bundles twice', () => {
    expect(assetDigests(fresh!)).toEqual(assetDigests(reference));
  });

  it('writes no timestamps into the templates', () => {
    for (const t of fresh!.templates) {
      expect(JSON.stringify(t.json), t.file).not.toMatch(/20\d\d-\d\d-\d\dT\d\d:\d\d/);
    }
  });
});
