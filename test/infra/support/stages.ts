import { beforeAll, expect } from 'vitest';
import { ENTRY_TAG } from '../../../infra/constructs/backend-function.ts';
import {
  type Json,
  refTarget,
  resourcesOfType,
  type StageName,
  type Synthesized,
  statementsOfRole,
  synthesizedStages,
  tagValue,
} from './synth.ts';

/** How long a file waits for the run's synth of both stages (bundling ~50 functions twice on a shared machine). */
const SYNTH_TIMEOUT_MS = 900_000;

/**
 * An infra test file's preamble: a beforeAll that waits for both stages (synthesized once per test run, see
 * synthesizedStages) and hands them to the file, e.g. `beforeAllStages((s) => ({ dev, prod } = s))`.
 */
export function beforeAllStages(assign: (stages: Record<StageName, Synthesized>) => void): void {
  beforeAll(async () => {
    assign(await synthesizedStages());
  }, SYNTH_TIMEOUT_MS);
}

/** The function built from `functions/<entryKey>.ts` (found by its entry tag): exactly one. */
export function functionFor(json: Json, entryKey: string): [string, Json] {
  const found = resourcesOfType(json, 'AWS::Lambda::Function').filter(
    ([, fn]) => tagValue(fn, ENTRY_TAG) === entryKey,
  );
  expect(found, `functions built from functions/${entryKey}.ts`).toHaveLength(1);
  return found[0]!;
}

/** Every policy statement of the role of the function built from `functions/<entryKey>.ts`. */
export const functionStatements = (json: Json, entryKey: string): Json[] =>
  statementsOfRole(json, refTarget(functionFor(json, entryKey)[1].Properties.Role)!);

/** A function's environment variables. */
export const envOf = (fn: Json): Record<string, Json> => fn.Properties.Environment?.Variables ?? {};
