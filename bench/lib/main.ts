import os from 'node:os';
import path from 'node:path';
import { closePools } from '#shared/db/pool';
import { resetVaultForTests } from '#shared/vault/token-vault';
import type { BenchContext } from './context.ts';
import type { MachineInfo, Results } from './results.ts';
import { shippedBundles } from './sections/bundles.ts';
import { measureCalls } from './sections/calls.ts';
import { documentExtraction } from './sections/documents.ts';
import { providerImport } from './sections/import.ts';
import { coldInit } from './sections/init.ts';
import { warmLatency } from './sections/latency.ts';
import { refreshWorkers } from './sections/refresh.ts';
import { gatewaySoak } from './sections/soak.ts';
import { webApp } from './sections/web.ts';
import { webhookLatency } from './sections/webhooks.ts';
import { type BenchStack, type BenchUser, startBenchStack } from './stack.ts';
import { evaluateTargets } from './targets.ts';

function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    cpuCount: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    loadAverageAtEnd: [],
  };
}

/** Users and rows the API sections share: three users with 25 competitors each, a brand strategy. */
async function seedUsers(ctx: BenchContext, bench: BenchStack) {
  const tenantA = await bench.createUser('tenantA');
  const tenantB = await bench.createUser('tenantB');
  const latencyUser = await bench.createUser('latency');
  const callsUser = await bench.createUser('calls');
  const seed = async (user: BenchUser, prefix: string) => {
    const ids: string[] = [];
    for (let i = 0; i < ctx.settings.seededRowsPerTenant; i++) {
      const res = await bench.api<{ id: string }>('POST', '/competitors', {
        token: user.accessToken,
        body: {
          name: `${prefix}-competitor-${i}`,
          website: `https://${prefix}-${i}.example`,
          strengths: ['x'],
        },
      });
      if (res.status !== 201) throw new Error(`seeding failed: ${res.status} ${res.text}`);
      ids.push(res.body.id);
    }
    const strategy = await bench.api('PUT', '/brand-strategy', {
      token: user.accessToken,
      body: { mission: `${prefix}-mission`, values: ['speed'], brandColors: ['#112233'] },
    });
    if (strategy.status !== 200) throw new Error(`brand strategy seed failed: ${strategy.status}`);
    return ids;
  };
  const ids = {
    a: await seed(tenantA, 'tenantA'),
    b: await seed(tenantB, 'tenantB'),
    latency: await seed(latencyUser, 'latency'),
  };
  ctx.log(
    `  seeded ${ctx.settings.seededRowsPerTenant} competitors and a brand strategy for each of 3 users`,
  );
  return { tenantA, tenantB, latencyUser, callsUser, ids };
}

/**
 * The whole bench, one section after another: what needs a quiet machine (synth, cold init, documents) before
 * the local stack starts; then the API sections against the stack. Each section is its own module in sections/.
 */
export async function main(ctx: BenchContext): Promise<{ results: Results }> {
  const t0 = performance.now();
  const machine = machineInfo();
  ctx.log(
    `node ${machine.node}, ${machine.cpuCount} CPUs (${machine.cpuModel}), load ${machine.loadAverageAtStart.join(' ')}`,
  );
  if (!machine.node.startsWith('v24.')) {
    ctx.log('WARNING: not Node 24 (run through `npm run bench`, which uses the `node` devDependency)');
  }

  const bundles = await shippedBundles(ctx);
  const init = await coldInit(ctx, bundles);
  const web = await webApp(ctx);
  ctx.log(`document extraction: PDF and DOCX at ${ctx.settings.documentSizesMiB.join(', ')} MiB`);
  const documents = await documentExtraction(ctx);

  ctx.log('starting the local stack');
  const bench = await startBenchStack(ctx.log);
  try {
    const users = await seedUsers(ctx, bench);
    ctx.log('calls per request: database round trips (pg.Client#query) and KMS calls (fake KMS)');
    const calls = await measureCalls(bench, users.callsUser);
    const latency = await warmLatency(ctx, bench, users.latencyUser, users.ids.latency);
    const soak = await gatewaySoak(ctx, bench, [
      { token: users.tenantA.accessToken, prefix: 'tenantA-', ids: users.ids.a },
      { token: users.tenantB.accessToken, prefix: 'tenantB-', ids: users.ids.b },
    ]);
    const webhooks = await webhookLatency(ctx, users.latencyUser, path.join(ctx.workDir, 'events'));
    const refresh = await refreshWorkers(ctx, bench);
    const imported = await providerImport(ctx, bench, await bench.createUser('import'));

    machine.loadAverageAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
    const measured: Omit<Results, 'targets'> = {
      generatedAt: new Date().toISOString(),
      durationSeconds: (performance.now() - t0) / 1000,
      machine,
      settings: { ...ctx.settings, logLevel: process.env.LOG_LEVEL ?? '' },
      bundles: {
        synthSeconds: bundles.synth.seconds,
        stackName: bundles.synth.stackName,
        functions: bundles.rows,
        composition: bundles.composition,
      },
      init,
      latency,
      soak,
      refresh,
      calls,
      documents,
      import: imported,
      webhooks,
      web,
    };
    return { results: { ...measured, targets: evaluateTargets(measured) } };
  } finally {
    await bench.stop();
    resetVaultForTests();
    await closePools();
  }
}
