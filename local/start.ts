/**
 * `npm start`: the whole API on http://localhost:3000 with embedded services and no cloud account.
 *
 * Lifecycle: Ctrl-C, SIGINT, SIGTERM or SIGHUP stop the gateway, cognito-local and PostgreSQL (the npm script
 * `exec`s this process, so npm's signals reach it). `.local/run.json` records this process and its children:
 * a second start on the same state is refused, and a start after a killed one stops what it left behind.
 * A detached reaper (local/reaper.cjs) stops the children at once if this process dies without cleaning up.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type LocalEvents, startLocalEvents } from './events.ts';
import { invokeJob } from './lambda.ts';
import { portIsFree } from './ports.ts';
import { takeOverSignals } from './postgres.ts';
import { InProcessQueue, runLocalRefresh } from './refresh-queue.ts';
import { AlreadyRunning, acquireRunState, type RunStateHandle } from './run-state.ts';
import { type LocalStack, startLocalStack } from './stack.ts';

// Provider credentials and other settings may come from a .env file locally (never in AWS).
if (existsSync('.env')) process.loadEnvFile('.env');

const refreshEveryMs = Number(process.env.LOCAL_REFRESH_INTERVAL_MS ?? 5 * 60 * 1000);
const stateDir = path.resolve(process.env.LOCAL_STATE_DIR ?? '.local');
const port = Number(process.env.PORT ?? 3000);
const databaseUrl = process.env.DATABASE_URL;
const databaseName = process.env.DATABASE_NAME ?? 'brand';

/** One line on stderr, exit status 1: what went wrong and what to do. */
function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`PORT must be a port number, not "${port}".`);
takeOverSignals();

let run: RunStateHandle;
try {
  run = await acquireRunState(
    stateDir,
    { command: 'start', port, database: databaseUrl ? 'database-url' : 'embedded', databaseName },
    (line) => console.error(line),
  );
} catch (error) {
  if (error instanceof AlreadyRunning) {
    fail(`${error.message}; state in ${path.relative(process.cwd(), stateDir) || '.'} (stop it first).`);
  }
  throw error;
}

let stack: LocalStack | undefined;
let stackStarting: Promise<LocalStack> | undefined;
let stopping = false;
// The reaper outlives a kill -9 of this process and then stops the children; told "done" on a clean stop.
const reaper = spawn(process.execPath, [new URL('./reaper.cjs', import.meta.url).pathname], {
  detached: true,
  stdio: ['pipe', 'ignore', 'ignore'],
});
reaper.unref();
reaper.stdin?.on('error', () => undefined);

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // Whatever happens, be gone within 3 s (the children get SIGKILL from the reaper after that).
    setTimeout(() => {
      for (const child of run.state.children) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      reaper.stdin?.end('done\n');
      run.release();
      process.exit(code);
    }, 2_500).unref();
    clearInterval(refreshTimer);
    await localEvents?.stop().catch(() => undefined);
    // A signal while starting: let the start finish (or fail), then stop what it started.
    const running = stack ?? (await stackStarting?.catch(() => undefined));
    try {
      await running?.stop();
      reaper.stdin?.end('done\n');
    } catch (error) {
      // The reaper stops what is left when this process is gone.
      console.error(`While stopping: ${(error as Error).message}`);
    }
    run.release();
    process.exit(code);
  }
  return new Promise<never>(() => undefined);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (!stopping) console.log(`\n${signal}: stopping the gateway, cognito-local and PostgreSQL…`);
    void stopAll(0);
  });
}

let refreshTimer: NodeJS.Timeout | undefined;
let localEvents: LocalEvents | undefined;

if (port !== 0 && !(await portIsFree(port))) {
  run.release();
  reaper.stdin?.end('done\n');
  fail(`port ${port} is in use; stop what uses it or choose another one, e.g. PORT=${port + 1} npm start`);
}

try {
  stackStarting = startLocalStack({
    stateDir,
    port,
    ...(databaseUrl ? { databaseUrl } : {}),
    database: databaseName,
    providers: process.env.PROVIDERS === 'sandbox' ? 'sandbox' : 'real',
    persistSandbox: true,
    webApp: true,
    onChild: (child) => {
      const signal = child.name === 'postgres' ? 'SIGINT' : 'SIGTERM';
      run.addChild({ ...child, signal });
      reaper.stdin?.write(`${JSON.stringify({ ...child, signal })}\n`);
    },
  });
  stack = await stackStarting;
} catch (error) {
  if (stopping) await new Promise(() => undefined);
  const err = error as NodeJS.ErrnoException;
  const message =
    err.code === 'EADDRINUSE'
      ? `port ${port} is in use; stop what uses it or choose another one, e.g. PORT=${port + 1} npm start`
      : err.message || String(error);
  console.error(`npm start: ${message}`);
  // startLocalStack stopped whatever it had started.
  reaper.stdin?.end('done\n');
  run.release();
  process.exit(1);
}
if (stopping) await new Promise(() => undefined);
run.update({
  port: stack.port,
  url: stack.url,
  ...(stack.postgres ? { postgresPort: stack.postgres.port } : {}),
});

const localDb = stack.postgres
  ? `postgres://brand_owner:brand_owner_local@127.0.0.1:${stack.postgres.port}/${databaseName}`
  : undefined;
// The event relay and webhook deliverer: every EVENT_POLL_MS (250 ms), in this process (EventBridge bus → in-process bus).
localEvents = startLocalEvents({ stateDir });
await localEvents.ready;

const banner = [
  '',
  `  brand-cloud API  ${stack.url.replace('127.0.0.1', 'localhost')}`,
  `  Web app          ${process.env.FRONTEND_URL?.replace('127.0.0.1', 'localhost')}/`,
  `  PostgreSQL       ${localDb ? `${localDb}  (data in ${path.relative(process.cwd(), stateDir)}/postgres)` : 'DATABASE_URL'}`,
  `  Try              curl http://localhost:${stack.port}/health`,
  `  Cognito (local)  ${stack.cognito.endpoint}  pool ${stack.cognito.userPoolId}, client ${stack.cognito.clientId}`,
  `  Documents (S3)   ${stack.documents.s3.endpoint}/${stack.documents.s3.bucket}  (s3rver + presigned-POST check, data in ${path.relative(process.cwd(), stateDir)}/s3)`,
  `  Providers        ${stack.sandbox ? `sandbox (loopback fakes at ${stack.sandbox.origin})` : 'real (set GOOGLE_/MICROSOFT_/DROPBOX_ credentials, or PROVIDERS=sandbox)'}`,
  `  Token refresh    every ${Math.round(refreshEveryMs / 60000)} min: scheduler → in-process queue → worker (EventBridge → SQS → Lambda in AWS)`,
  `  Events           GET /events; ${localEvents.webhookUrl ? `webhooks to ${localEvents.webhookUrl} (secret in ${path.relative(process.cwd(), stateDir)}/webhook-secret)` : 'set WEBHOOK_URL to receive signed webhooks'}`,
  `  Stop             Ctrl-C (pid ${process.pid})`,
  '',
];
console.log(banner.join('\n'));

// The EventBridge schedule's local stand-in: every 5 minutes the refresh scheduler claims due ids into an
// in-process queue (SQS event shapes) that the refresh worker drains, both invoked in this process (the sandbox's
// tokens live here) in their own invocation scopes, never two runs at once.
const refreshQueue = new InProcessQueue();
let refreshing = false;
refreshTimer = setInterval(async () => {
  if (refreshing) return;
  refreshing = true;
  try {
    await runLocalRefresh(refreshQueue);
    // The document sweep's schedule (expired uploads, stalled processing; every 15 minutes in AWS), same timer.
    await invokeJob('documents/sweep-uploads');
  } catch (error) {
    console.error('Scheduled refresh failed:', (error as Error).message);
  } finally {
    refreshing = false;
  }
}, refreshEveryMs);
refreshTimer.unref();
