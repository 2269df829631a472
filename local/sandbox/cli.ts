/**
 * `npx tsx local/sandbox/cli.ts [--port 8443] [--ca-file .local/sandbox-ca.pem]`: the provider sandbox on
 * its own, printing its endpoints and client credentials, for poking at it with curl or a browser.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startSandbox } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.SANDBOX_PORT ?? '0' },
    'ca-file': { type: 'string', default: path.join('.local', 'sandbox-ca.pem') },
  },
});

const caFile = path.resolve(values['ca-file']);
await mkdir(path.dirname(caFile), { recursive: true });
const sandbox = await startSandbox({ port: Number(values.port), caFile });

const lines = [
  '',
  `  Provider sandbox  ${sandbox.origin}   (self-signed: your browser will warn once per start)`,
  `  CA certificate    ${path.relative(process.cwd(), caFile)}   (NODE_EXTRA_CA_CERTS=${caFile}, curl --cacert ${caFile})`,
  '',
];
for (const [provider, endpoints] of Object.entries(sandbox.endpoints)) {
  const client = sandbox.clients[provider as keyof typeof sandbox.clients];
  lines.push(`  ${provider}`);
  lines.push(`    client id      ${client.clientId}`);
  lines.push(`    client secret  ${client.clientSecret}`);
  for (const [name, url] of Object.entries(endpoints)) lines.push(`    ${name.padEnd(14)} ${url}`);
  lines.push('');
}
lines.push('  Any http://localhost or http://127.0.0.1 redirect URI is accepted. Stop with Ctrl-C.', '');
console.log(lines.join('\n'));

const shutdown = async () => {
  await sandbox.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
