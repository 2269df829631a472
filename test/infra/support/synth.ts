import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { App, AssetStaging } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type * as BrandApp from '../../../infra/brand-app.ts';
import { REPO_ROOT } from '../../../infra/paths.ts';
import type * as Stage from '../../../infra/stage.ts';

export type StageName = 'dev' | 'prod';
export const PROD_FRONTEND_URL = 'https://app.brand-cloud.example';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped
export type Json = any;

export interface NagViolation {
  ruleName: string;
  description: string;
  severity: string;
  violatingResources: Array<{ constructPath?: string }>;
}

export interface Synthesized {
  stage: StageName;
  /** The source tree the synth was made from (a per-run snapshot of the repository). */
  sourceRoot: string;
  /** The cloud assembly directory (templates, asset.<hash>/ bundles, metadata). */
  dir: string;
  stackName: string;
  /**
   * The stack as CloudFormation deploys it, its nested stacks inlined (see `inlineNestedStacks`): every resource
   * of the stage in one `Resources` map, references across the nesting resolved to what they point at.
   */
  json: Json;
  template: Template;
  /** The templates as written: the stack's file name first, then each nested stack's, by logical id of its resource. */
  templates: Array<{ file: string; nestedStackId?: string; json: Json }>;
  /** `<stack>.metadata.json`: construct path → metadata entries (acknowledgements among them). */
  metadata: Record<string, Array<{ type: string; data: unknown }>>;
  /** cdk-nag AwsSolutions findings that are not acknowledged (none expected). */
  nagViolations: NagViolation[];
  /** Set when synthesis itself failed validation (cdk-nag or CloudFormation rules). */
  synthError?: string;
}

/**
 * One directory per test run: vitest's forks are children of one vitest process, so its pid (and start time,
 * where /proc tells it, against pid reuse) names the run.
 */
function runId(): string {
  let started = '';
  try {
    started = readFileSync(`/proc/${process.ppid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19] ?? '';
  } catch {
    // Not Linux: the pid alone.
  }
  return `run-${process.ppid}${started ? `-${started}` : ''}`;
}
const RUN_DIR = path.join(os.tmpdir(), 'brand-cloud-infra-synth', runId());
const SNAPSHOT_DIRS = ['infra', 'functions', 'shared', 'migrations', 'web'];
const SNAPSHOT_FILES = ['cdk.json', 'package.json', 'package-lock.json', 'tsconfig.json'];

/**
 * Runs `build` once per test run across vitest's forks (they share the parent process): the first caller
 * builds `target` under a lock directory, the others wait until it is complete.
 */
async function oncePerRun(target: string, build: () => void | Promise<void>): Promise<void> {
  const done = `${target}.complete`;
  const lock = `${target}.lock`;
  mkdirSync(path.dirname(target), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  while (!existsSync(done)) {
    let owner = false;
    try {
      mkdirSync(lock);
      owner = true;
    } catch {
      // Another test file is building it.
    }
    if (owner) {
      try {
        if (!existsSync(done)) {
          rmSync(target, { recursive: true, force: true });
          await build();
          writeFileSync(done, 'ok');
        }
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    } else {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${target}`);
      await sleep(1_000);
    }
  }
}

/**
 * A copy of the sources, taken once per test run, that every synth of the run is made from: other people edit
 * the working tree while the (slow) synths run, and two synths of a moving tree could not be compared.
 */
export async function sourceSnapshot(): Promise<string> {
  const root = path.join(RUN_DIR, 'src');
  await oncePerRun(root, () => {
    pruneEarlierRuns();
    for (const dir of SNAPSHOT_DIRS)
      cpSync(path.join(REPO_ROOT, dir), path.join(root, dir), { recursive: true });
    for (const file of SNAPSHOT_FILES) cpSync(path.join(REPO_ROOT, file), path.join(root, file));
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  });
  return root;
}

/** Assemblies of earlier runs whose vitest process is gone (finished or killed), or older than a day. */
function pruneEarlierRuns(): void {
  const parent = path.dirname(RUN_DIR);
  const dayAgo = Date.now() - 86_400_000;
  for (const name of readdirSync(parent)) {
    const full = path.join(parent, name);
    if (full === RUN_DIR || full.startsWith(`${RUN_DIR}.`)) continue;
    const pid = /^run-(\d+)/.exec(name)?.[1];
    const gone = pid !== undefined && !existsSync(`/proc/${pid}`) && existsSync('/proc/self');
    if (gone || statSync(full).mtimeMs < dayAgo) rmSync(full, { recursive: true, force: true });
  }
}

export function cdkJsonContext(root: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')).context;
}

/**
 * Synthesizes the app as `cdk synth` does (same entry point, same cdk.json context, cdk-nag registered) into
 * `outdir`, one stack per stage in one App so that later stages reuse the first one's bundles. Bundling is redone
 * from scratch (the in-process asset cache is cleared first).
 */
export async function synthesize(
  sourceRoot: string,
  outdir: string,
  stages: readonly StageName[] = ['dev'],
): Promise<void> {
  const { addBrandStack } = (await import(
    pathToFileURL(path.join(sourceRoot, 'infra/brand-app.ts')).href
  )) as typeof BrandApp;
  const { stageConfig } = (await import(
    pathToFileURL(path.join(sourceRoot, 'infra/stage.ts')).href
  )) as typeof Stage;
  AssetStaging.clearAssetHashCache();
  const app = new App({ outdir, context: { ...cdkJsonContext(sourceRoot), stage: stages[0] } });
  const stacks = stages.map((stage) =>
    addBrandStack(app, stageConfig(stage, stage === 'prod' ? PROD_FRONTEND_URL : undefined)),
  );
  let synthError: string | undefined;
  try {
    app.synth();
  } catch (error) {
    // A validation failure still writes the assembly; the tests then report the findings one by one.
    synthError = error instanceof Error ? error.message : String(error);
    if (!stacks.every((stack) => existsSync(path.join(outdir, `${stack.stackName}.template.json`))))
      throw error;
  }
  const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(app);
  const violations = report.violations as NagViolation[];
  const result = Object.fromEntries(
    stacks.map((stack, i) => [
      stages[i],
      {
        stage: stages[i],
        stackName: stack.stackName,
        synthError,
        nagViolations: violations
          .map((v) => ({
            ...v,
            violatingResources: v.violatingResources.filter((r) =>
              r.constructPath?.startsWith(`${stack.stackName}/`),
            ),
          }))
          .filter((v) => v.violatingResources.length > 0),
      },
    ]),
  );
  writeFileSync(
    path.join(outdir, 'infra-test-result.json'),
    JSON.stringify({ sourceRoot, ...result }, null, 2),
  );
}

export function load(dir: string, stage: StageName = 'dev'): Synthesized {
  const file = JSON.parse(readFileSync(path.join(dir, 'infra-test-result.json'), 'utf8'));
  const result = { ...file[stage], sourceRoot: file.sourceRoot };
  const stackFile = `${result.stackName}.template.json`;
  const stackJson = JSON.parse(readFileSync(path.join(dir, stackFile), 'utf8'));
  const templates: Synthesized['templates'] = [{ file: stackFile, json: stackJson }];
  // A nested stack's template is a file asset of the stack; its TemplateURL names the asset's object key.
  const assets = Object.values<Json>(
    JSON.parse(readFileSync(path.join(dir, `${result.stackName}.assets.json`), 'utf8')).files,
  );
  for (const [nestedStackId, resource] of resourcesOfType(stackJson, 'AWS::CloudFormation::Stack')) {
    const url = JSON.stringify(resource.Properties.TemplateURL);
    const asset = assets.find(
      (a) =>
        String(a.source.path).endsWith('.nested.template.json') &&
        Object.values<Json>(a.destinations).some((d) => url.includes(d.objectKey)),
    );
    if (!asset) throw new Error(`${nestedStackId}: no template asset for ${url}`);
    const nestedFile: string = asset.source.path;
    templates.push({
      file: nestedFile,
      nestedStackId,
      json: JSON.parse(readFileSync(path.join(dir, nestedFile), 'utf8')),
    });
  }
  const json = inlineNestedStacks(stackJson, templates.slice(1));
  // Nested stacks' construct metadata is in the stack's file (the cloud assembly collects it per top-level stack).
  const metadata = JSON.parse(readFileSync(path.join(dir, `${result.stackName}.metadata.json`), 'utf8'));
  return { ...result, dir, json, templates, template: Template.fromJSON(json), metadata };
}

/**
 * One `Resources` map for a stack and its nested stacks, for assertions that follow references: each nested
 * template's resources are added under their own logical ids (a collision fails), a `Ref` to one of its parameters
 * becomes the expression the stack passes for it (`Parameters` of the nested stack's resource), and a stack's
 * `Fn::GetAtt [<nested stack>, Outputs.<name>]` becomes that output's value. Deploy order is kept: a nested
 * resource is created only once its stack's resource starts, so it `DependsOn` that resource, which keeps its own
 * `DependsOn` and parameters. Nothing else is changed; the written templates stay in `templates`.
 */
export function inlineNestedStacks(
  stackJson: Json,
  nested: ReadonlyArray<{ nestedStackId?: string; json: Json }>,
): Json {
  const out: Json = structuredClone(stackJson);
  const outputs = new Map<string, Json>();
  for (const { nestedStackId, json } of nested) {
    const id = nestedStackId!;
    const passed: Record<string, Json> = stackJson.Resources[id].Properties?.Parameters ?? {};
    const substitute = (value: Json): Json => {
      if (Array.isArray(value)) return value.map(substitute);
      if (value && typeof value === 'object') {
        if (typeof value.Ref === 'string' && Object.keys(value).length === 1 && value.Ref in passed) {
          return structuredClone(passed[value.Ref]);
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]));
      }
      return value;
    };
    for (const [name, output] of Object.entries<Json>(json.Outputs ?? {})) {
      outputs.set(`${id}/Outputs.${name}`, substitute(output.Value));
    }
    for (const [logicalId, resource] of Object.entries<Json>(json.Resources)) {
      if (out.Resources[logicalId]) throw new Error(`Logical id ${logicalId} is in two templates`);
      const inlined = substitute(resource);
      inlined.DependsOn = [id, ...asArray<string>(inlined.DependsOn)];
      out.Resources[logicalId] = inlined;
    }
  }
  const resolveOutputs = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(resolveOutputs);
    if (value && typeof value === 'object') {
      const getAtt = value['Fn::GetAtt'];
      if (Array.isArray(getAtt) && outputs.has(`${getAtt[0]}/${getAtt[1]}`)) {
        return structuredClone(outputs.get(`${getAtt[0]}/${getAtt[1]}`));
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveOutputs(v)]));
    }
    return value;
  };
  out.Resources = resolveOutputs(out.Resources);
  out.Outputs = resolveOutputs(out.Outputs);
  return out;
}

let shared: Promise<Record<StageName, Synthesized>> | undefined;

/**
 * Both stages, synthesized once per test run for all infra test files (bundling ~50 functions is the slow
 * part): the first file to ask synthesizes, the others wait and read the same cloud assembly.
 */
export function synthesizedStages(): Promise<Record<StageName, Synthesized>> {
  shared ??= (async () => {
    const sourceRoot = await sourceSnapshot();
    const dir = path.join(RUN_DIR, 'shared');
    await oncePerRun(dir, () => synthesize(sourceRoot, dir, ['dev', 'prod']));
    return { dev: load(dir, 'dev'), prod: load(dir, 'prod') };
  })();
  return shared;
}

/** Another synth of the same snapshot, in a sibling directory of the shared one (same relative paths). */
export async function freshSynth(): Promise<Synthesized> {
  const sourceRoot = await sourceSnapshot();
  const dir = path.join(RUN_DIR, `fresh-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  await synthesize(sourceRoot, dir, ['dev']);
  return load(dir, 'dev');
}

export const removeFreshSynth = (s: Synthesized): void => rmSync(s.dir, { recursive: true, force: true });

/* ---------- template helpers ---------- */

export type Resources = Record<
  string,
  { Type: string; Properties?: Json; DependsOn?: string[]; Metadata?: Json }
>;

export const resourcesOfType = (json: Json, type: string): Array<[string, Json]> =>
  Object.entries(json.Resources as Resources).filter(([, r]) => r.Type === type);

/** `{Ref: X}` or `{Fn::GetAtt: [X, …]}` → X. */
export function refTarget(value: Json): string | undefined {
  if (value && typeof value === 'object') {
    if (typeof value.Ref === 'string') return value.Ref;
    if (Array.isArray(value['Fn::GetAtt'])) return value['Fn::GetAtt'][0];
  }
  return undefined;
}

export const tagValue = (resource: Json, key: string): string | undefined =>
  (resource.Properties?.Tags as Array<{ Key: string; Value: string }> | undefined)?.find((t) => t.Key === key)
    ?.Value;

/** Every policy statement that applies to a role: its inline policies and AWS::IAM::Policy resources. */
export function statementsOfRole(json: Json, roleId: string): Json[] {
  const role = json.Resources[roleId];
  const inline = (role.Properties.Policies ?? []).flatMap((p: Json) => p.PolicyDocument.Statement);
  const attached = resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles ?? []).some((r: Json) => refTarget(r) === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
  return [...inline, ...attached];
}

export const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
