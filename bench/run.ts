/**
 * `npm run bench`: cold start, warm latency, gateway throughput, scheduled refresh rate and calls per request,
 * written to bench/results.json and bench/REPORT.md. Figures live here, never in timed tests.
 *
 *   npm run bench                  the full run (2–3 minutes on 2 cores, about 5 on a busy machine)
 *   npm run bench -- --quick       fewer iterations, for trying the bench itself (writes to a temp dir)
 *   npm run bench -- --out <dir>   write results.json and REPORT.md elsewhere
 *   npm run bench -- --render      re-render REPORT.md (and the targets) from the existing results.json, no measuring
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Results } from './lib/results.ts';

// Before any project module is loaded: the functions read these lazily, the logger at construction.
process.env.LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_SERVICE_NAME ??= 'brand-cloud';
process.env.TZ ??= 'UTC';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    render: { type: 'boolean', default: false },
  },
});
const quick = args.quick ?? false;

const SETTINGS = {
  initRuns: quick ? 3 : 10,
  latencyIterations: quick ? 150 : 1000,
  latencyWarmup: quick ? 30 : 100,
  loadConnections: 8,
  loadDurationSeconds: quick ? 3 : 10,
  refreshDue: quick ? 60 : 300,
  tokenLatencyMs: 50,
  seededRowsPerTenant: 25,
};

/** The file as `biome format` would write it (JSON and Markdown), so the committed files pass `npm run lint`. */
function biomeFormatted(content: string, name: 'results.json' | 'REPORT.md'): string {
  const biome = path.join(import.meta.dirname, '..', 'node_modules', '.bin', 'biome');
  try {
    return execFileSync(biome, ['format', `--stdin-file-path=bench/${name}`], {
      input: content,
      encoding: 'utf8',
    });
  } catch {
    return content;
  }
}

const started = performance.now();
const log = (line: string) => {
  const t = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${t}s] ${line}\n`);
};

if (args.render) {
  const dir = args.out ? path.resolve(args.out) : import.meta.dirname;
  const { renderReport } = await import('./lib/report.ts');
  const { evaluateTargets } = await import('./lib/targets.ts');
  const stored = JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')) as Results;
  const results: Results = { ...stored, targets: evaluateTargets(stored) };
  await writeFile(
    path.join(dir, 'results.json'),
    biomeFormatted(`${JSON.stringify(results, null, 2)}\n`, 'results.json'),
  );
  await writeFile(
    path.join(dir, 'REPORT.md'),
    biomeFormatted(renderReport(results, { quick: stored.settings.initRuns < 10 }), 'REPORT.md'),
  );
  log(`re-rendered ${path.join(dir, 'REPORT.md')} from results.json of ${stored.generatedAt}`);
  process.exit(0);
}

const { main } = await import('./lib/main.ts');
const outDir = args.out
  ? path.resolve(args.out)
  : quick
    ? await mkdtemp(path.join(os.tmpdir(), 'bench-quick-'))
    : path.join(import.meta.dirname);
await mkdir(outDir, { recursive: true });
const workDir = await mkdtemp(path.join(os.tmpdir(), 'bench-bundles-'));
// Bundles that leave the AWS SDK to the runtime (what-if builds) resolve it from the repository's node_modules,
// as a Lambda resolves the runtime's copy. Unlinked before the temp dir is removed.
const modulesLink = path.join(workDir, 'node_modules');
await symlink(path.join(import.meta.dirname, '..', 'node_modules'), modulesLink, 'dir');
try {
  const { results, report } = await main({ settings: SETTINGS, workDir, log, quick });
  await writeFile(
    path.join(outDir, 'results.json'),
    biomeFormatted(`${JSON.stringify(results, null, 2)}\n`, 'results.json'),
  );
  await writeFile(path.join(outDir, 'REPORT.md'), biomeFormatted(report, 'REPORT.md'));
  log(`wrote ${path.join(outDir, 'REPORT.md')} and results.json in ${results.durationSeconds.toFixed(0)} s`);
  const missed = results.targets.filter((t) => !t.met);
  log(
    `targets: ${results.targets.length - missed.length} met, ${missed.length} missed${missed.length ? ` (${missed.map((t) => t.id).join(', ')})` : ''}`,
  );
} finally {
  await unlink(modulesLink);
  await rm(workDir, { recursive: true, force: true });
}
// Embedded services are stopped by main(); anything left (keep-alive sockets) must not hold the process.
process.exit(0);
