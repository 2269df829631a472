/**
 * `npm start`: the whole API on http://localhost:3000 with embedded services and no cloud account.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startLocalStack } from './stack.ts';

// Provider credentials and other settings may come from a .env file locally (never in AWS).
if (existsSync('.env')) process.loadEnvFile('.env');

const refreshEveryMs = Number(process.env.LOCAL_REFRESH_INTERVAL_MS ?? 5 * 60 * 1000);
const stateDir = path.resolve(process.env.LOCAL_STATE_DIR ?? '.local');
const port = Number(process.env.PORT ?? 3000);

const stack = await startLocalStack({
  stateDir,
  port,
  ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
  providers: process.env.PROVIDERS === 'sandbox' ? 'sandbox' : 'real',
});

const banner = [
  '',
  `  brand-cloud API  ${stack.url.replace('127.0.0.1', 'localhost')}`,
  `  PostgreSQL       ${stack.postgres ? `embedded, data in ${path.relative(process.cwd(), stateDir)}/postgres` : 'DATABASE_URL'}`,
  `  Try              curl http://localhost:${stack.port}/health`,
  `  Cognito (local)  ${stack.cognito.endpoint}  pool ${stack.cognito.userPoolId}, client ${stack.cognito.clientId}`,
  `  Providers        ${stack.sandbox ? `sandbox (loopback fakes at ${stack.sandbox.origin})` : 'real (set GOOGLE_/MICROSOFT_/DROPBOX_ credentials, or PROVIDERS=sandbox)'}`,
  `  Token refresh    every ${Math.round(refreshEveryMs / 60000)} min (as the EventBridge schedule does in AWS)`,
  '  Stop             Ctrl-C',
  '',
];
console.log(banner.join('\n'));

// The EventBridge schedule's local stand-in: one refresh pass every 5 minutes, in this process (the sandbox's
// tokens live here), never two at once.
let refreshing = false;
const refreshTimer = setInterval(async () => {
  if (refreshing) return;
  refreshing = true;
  try {
    const { refreshDueConnections } = await import('#shared/cloud-storage/scheduled-refresh');
    await refreshDueConnections({});
  } catch (error) {
    console.error('Scheduled refresh failed:', (error as Error).message);
  } finally {
    refreshing = false;
  }
}, refreshEveryMs);
refreshTimer.unref();

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  clearInterval(refreshTimer);
  console.log(`\n${signal}: stopping the gateway and PostgreSQL…`);
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
