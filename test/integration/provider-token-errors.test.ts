import { expect, it } from 'vitest';
import { refreshDueConnections } from '#shared/cloud-storage/scheduled-refresh';
import { withClient } from '../support/db.ts';
import {
  keyOf,
  newUserIds,
  openStored,
  readConnections,
  seedConnections,
  useRefreshSandbox,
} from '../support/refresh-rows.ts';
import { superuserUrl } from '../support/vault-rows.ts';

/**
 * Token-endpoint answers in the shapes the providers really send (PROVIDERS.md, "Shapes the fakes must also
 * produce"), through the scheduled refresh against a real PostgreSQL and the sandbox: what is stored, audited
 * and left alone.
 */
const { db, sandbox } = useRefreshSandbox();

async function auditText(): Promise<string> {
  return withClient(superuserUrl(db().name), async (c) => {
    const { rows } = await c.query('select action, metadata from audit_log');
    return JSON.stringify(rows);
  });
}

it('Dropbox prose in a 5xx `error` is stored as http_500, never as a code; the connection stays active', async () => {
  const [user] = newUserIds(1);
  const [seeded] = await seedConnections(db().name, sandbox, [
    { userId: user!, provider: 'dropbox', expiresIn: '-1 minutes' },
  ]);
  const prose = 'Internal Server Error: something went wrong on our end <please retry>';
  sandbox.control.failNextTokenCalls('dropbox', { kind: 'oauth_error', error: prose, status: 500 });

  const summary = await refreshDueConnections({ concurrency: 1 });

  expect(summary).toMatchObject({ claimed: 1, transient: 1 });
  const row = (await readConnections(db().name)).get(keyOf(seeded!))!;
  expect(row).toMatchObject({ status: 'active', last_error: 'http_500' });
  expect(await openStored(row)).toEqual(seeded!.tokens);
  expect(await auditText()).not.toContain('Internal Server Error');
});

it("Microsoft's unauthorized_client is our configuration: connections untouched, OneDrive's other rows go on", async () => {
  const users = newUserIds(2);
  const seeded = await seedConnections(db().name, sandbox, [
    { userId: users[0]!, provider: 'onedrive', expiresIn: '-2 minutes' },
    { userId: users[1]!, provider: 'onedrive', expiresIn: '-1 minutes' },
  ]);
  sandbox.control.failNextTokenCalls('onedrive', {
    kind: 'oauth_error',
    error: 'unauthorized_client',
    status: 400,
    aadsts: 700016,
  });

  const summary = await refreshDueConnections({ concurrency: 1 });

  expect(summary).toMatchObject({
    claimed: 2,
    config: 1,
    refreshed: 1,
    configCodes: ['unauthorized_client'],
  });
  expect(summary.pausedProviders).not.toContain('onedrive');
  const rows = await readConnections(db().name);
  const statuses = seeded.map((s) => rows.get(keyOf(s))!.status);
  expect(statuses).toEqual(['active', 'active']);
  const refused = seeded.find((s) => rows.get(keyOf(s))!.last_error === 'unauthorized_client')!;
  expect(await openStored(rows.get(keyOf(refused))!)).toEqual(refused.tokens);
  expect(await auditText()).not.toContain('cloud_storage.needs_reauth');
});

it('Dropbox answers a bad client with 400 invalid_client: a configuration failure, tokens kept', async () => {
  const [user] = newUserIds(1);
  const [seeded] = await seedConnections(db().name, sandbox, [
    { userId: user!, provider: 'dropbox', expiresIn: '-1 minutes' },
  ]);
  sandbox.control.failNextTokenCalls('dropbox', { kind: 'invalid_client' });

  const summary = await refreshDueConnections({ concurrency: 1 });

  expect(sandbox.control.tokenRequests('dropbox').at(-1)!.status).toBe(400);
  expect(summary).toMatchObject({ config: 1, configCodes: ['invalid_client'] });
  const row = (await readConnections(db().name)).get(keyOf(seeded!))!;
  expect(row).toMatchObject({ status: 'active', last_error: 'invalid_client' });
});
