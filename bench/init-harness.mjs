// Cold init of one bundle in a fresh Node process: `performance.now()` counts from the process's time origin
// (its start), so the figure printed is process start → the bundle's module graph evaluated (what Lambda's
// init phase does before the first invoke). Plain JS on purpose: no loader may run before the import.
const bundle = process.argv[2];
if (!bundle) throw new Error('usage: node init-harness.mjs <bundle.mjs>');
const mod = await import(bundle);
const initMs = performance.now();
// CPU time of the process so far (user + system): what the init costs whatever else shares the machine.
const cpu = process.cpuUsage();
if (typeof mod.handler !== 'function') throw new Error(`${bundle} exports no handler`);
process.stdout.write(
  `${JSON.stringify({ initMs, cpuMs: (cpu.user + cpu.system) / 1000, rssBytes: process.memoryUsage().rss })}\n`,
);
// Pools, timers or sockets opened at import must not keep the measurement alive.
process.exit(0);
