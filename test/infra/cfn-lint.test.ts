import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UNTAGGABLE_RESOURCE_TYPES } from '../../infra/brand-app.ts';
import { beforeAllStages } from './support/stages.ts';
import { resourcesOfType, type Synthesized } from './support/synth.ts';

const run = promisify(execFile);
let stages: Record<'dev' | 'prod', Synthesized>;

beforeAllStages((s) => {
  stages = s;
});

/**
 * cfn-lint (on the machine image; .ci/synth-lint installs it when missing) checks the templates against
 * CloudFormation's resource schemas: what `cdk synth` accepts, a deployment may still reject.
 */
describe('cfn-lint on the synthesized templates', () => {
  it.each(['dev', 'prod'] as const)(
    '%s: no errors',
    async (stage) => {
      const s = stages[stage];
      // The stack's template and its nested stacks' (each is deployed as a template of its own).
      const templates = s.templates.map((t) => path.join(s.dir, t.file));
      expect(templates.length).toBeGreaterThan(1);
      const result = await run(
        'cfn-lint',
        ['--non-zero-exit-code', 'error', '--format', 'parseable', '--', ...templates],
        {
          maxBuffer: 64 * 1024 * 1024,
        },
      ).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code?: number | string; stdout?: string }) => ({
          code: error.code,
          stdout: error.stdout ?? '',
        }),
      );
      const errors = result.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
      expect(errors).toEqual([]);
      expect(result.code).toBe(0);
    },
    300_000,
  );

  it('tags no resource type CloudFormation cannot tag (RDS Proxy target groups)', () => {
    for (const type of UNTAGGABLE_RESOURCE_TYPES) {
      const found = resourcesOfType(stages.dev.json, type);
      expect(found.length, type).toBeGreaterThan(0);
      for (const [id, resource] of found) expect(resource.Properties?.Tags, id).toBeUndefined();
    }
  });
});
