/**
 * `npm run bench`: the shipped bundles (`cdk synth`) and their cold init, warm latency, a gateway soak, the
 * refresh worker and its fan-out, round trips per request, document extraction, webhooks and the web app,
 * written to bench/results.json, bench/REPORT.md and bench/chart.svg. Figures live here, never in timed tests.
 *
 *   npm run bench                  the full run (about 10 minutes on 2 cores)
 *   npm run bench -- --quick       fewer iterations, for trying the bench itself (writes to a temp dir)
 *   npm run bench -- --out <dir>   write results.json, REPORT.md and chart.svg elsewhere
 *   npm run bench -- --render      re-render REPORT.md, chart.svg (and the targets) from results.json, no measuring
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { workers } from '#functions/workers';
import type { Settings } from './lib/context.ts';
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

const SETTINGS: Settings = {
  initRuns: quick ? 3 : 10,
  latencyIterations: quick ? 150 : 1000,
  latencyWarmup: quick ? 30 : 100,
  soakConnections: 16,
  soakSeconds: quick ? 15 : 60,
  refreshDue: quick ? 60 : 300,
  tokenLatencyMs: 50,
  fanoutTokenLatencyMs: 200,
  // Whole batches per worker (two, one when quick), so the fan-out measures workers, not how batches divide.
  fanoutRowsPerWorker: (quick ? 1 : 2) * workers['token-refresh/worker'].batchSize,
  seededRowsPerTenant: 25,
  documentSizesMiB: quick ? [1, 50] : [1, 10, 50],
  webhookEvents: quick ? 10 : 50,
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
  const { renderChart } = await import('./lib/chart.ts');
  const { evaluateTargets } = await import('./lib/targets.ts');
  const stored = JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')) as Results;
  const results: Results = { ...stored, targets: evaluateTargets(stored) };
  await writeFile(
    path.join(dir, 'results.json'),
    biomeFormatted(`${JSON.stringify(results, null, 2)}\n`, 'results.json'),
  );
  await writeFile(
    path.join(dir, 'REPORT.md'),
    biomeFormatted(renderReport(results, { quick: Number(stored.settings.initRuns) < 10 }), 'REPORT.md'),
  );
  await writeFile(path.join(dir, 'chart.svg'), renderChart(results));
  log(`re-rendered ${path.join(dir, 'REPORT.md')} from results.json of ${stored.generatedAt}`);
  process.exit(0);
}

const { main } = await import('./lib/main.ts');
const { renderReport } = await import('./lib/report.ts');
const { renderChart } = await import('./lib/chart.ts');
const outDir = args.out
  ? path.resolve(args.out)
  : quick
    ? await mkdtemp(path.join(os.tmpdir(), 'bench-quick-'))
    : path.join(import.meta.dirname);
await mkdir(outDir, { recursive: true });
// Outside the repository: no node_modules above it (the Lambda layout of the cold-init section relies on that).
const workDir = await mkdtemp(path.join(os.tmpdir(), 'bench-work-'));
try {
  const { results } = await main({ settings: SETTINGS, workDir, log, quick });
  await writeFile(
    path.join(outDir, 'results.json'),
    biomeFormatted(`${JSON.stringify(results, null, 2)}\n`, 'results.json'),
  );
  await writeFile(
    path.join(outDir, 'REPORT.md'),
    biomeFormatted(renderReport(results, { quick }), 'REPORT.md'),
  );
  await writeFile(path.join(outDir, 'chart.svg'), renderChart(results));
  log(`wrote ${path.join(outDir, 'REPORT.md')} and results.json in ${results.durationSeconds.toFixed(0)} s`);
  const missed = results.targets.filter((t) => !t.met);
  log(
    `targets: ${results.targets.length - missed.length} met, ${missed.length} missed${missed.length ? ` (${missed.map((t) => t.id).join(', ')})` : ''}`,
  );
} finally {
  await rm(workDir, { recursive: true, force: true });
}
// Embedded services are stopped by main(); anything left (keep-alive sockets) must not hold the process.
process.exit(0);
