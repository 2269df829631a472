import { type CallCount, type Counted, callRow, counted, findFilesRoute, unmeasured } from '../calls.ts';
import { runScheduledRefresh, seedDueConnections } from '../refresh.ts';
import type { BenchStack, BenchUser } from '../stack.ts';

/**
 * Section: database round trips and KMS calls of each request type through the local gateway (in this process),
 * counted, not estimated.
 */
export async function measureCalls(bench: BenchStack, user: BenchUser): Promise<CallCount[]> {
  const token = user.accessToken;
  const rows: CallCount[] = [];
  const http = (method: string, urlPath: string, body?: unknown) => async () => {
    const res = await bench.api(method, urlPath, { token, ...(body === undefined ? {} : { body }) });
    return { status: res.status, body: res.body as Record<string, unknown> | undefined };
  };
  const repeat = async (
    request: string,
    flags: { dataRoute: boolean; tenantRequest: boolean; note?: string },
    make: (i: number) => () => Promise<{ status: number }>,
    times = 3,
  ) => {
    await make(-1)(); // warm: module loaded, pool connected
    const samples: Array<Counted<{ status: number }>> = [];
    for (let i = 0; i < times; i++) samples.push(await counted(bench.kms, make(i)));
    rows.push(callRow(request, flags, samples));
  };
  const data = { dataRoute: true, tenantRequest: true };

  const created: string[] = [];
  await repeat('POST /competitors (data create)', data, (i) => async () => {
    const r = await http('POST', '/competitors', { name: `calls-${i + 1}`, strengths: ['s'] })();
    if (r.status === 201) created.push(String(r.body?.id));
    return r;
  });
  const id = created.at(-1)!;
  await repeat('GET /competitors (data list)', data, () => http('GET', '/competitors'));
  await repeat('GET /competitors/{id} (data get)', data, () => http('GET', `/competitors/${id}`));
  await repeat('PATCH /competitors/{id} (data update)', data, (i) =>
    http('PATCH', `/competitors/${id}`, { notes: `update ${i}` }),
  );
  await repeat(
    'DELETE /competitors/{id} (data delete)',
    data,
    (i) => http('DELETE', `/competitors/${created[i + 1] ?? created[0]}`),
    1,
  );
  await repeat('PUT /brand-strategy (data, versioned)', data, (i) =>
    http('PUT', '/brand-strategy', { mission: `m${i}` }),
  );
  await repeat('GET /brand-strategy', data, () => http('GET', '/brand-strategy'));

  // The OAuth flow, one step at a time, against the sandbox Google.
  const sandbox = bench.stack.sandbox!;
  const provider = 'google_drive';
  const flow = async (as: BenchUser) => {
    const asHttp = (method: string, urlPath: string, body?: unknown) => async () => {
      const res = await bench.api(method, urlPath, {
        token: as.accessToken,
        ...(body === undefined ? {} : { body }),
      });
      return { status: res.status, body: res.body as Record<string, unknown> | undefined };
    };
    const connect = await counted(bench.kms, asHttp('GET', `/cloud-storage/connect/${provider}`));
    const authorizationUrl = String(connect.result.body?.authorizationUrl);
    const callbackUrl = await sandbox.control.consent(authorizationUrl);
    const callback = await counted(bench.kms, async () => {
      const res = await fetch(`${bench.stack.url}${callbackUrl.pathname}${callbackUrl.search}`, {
        redirect: 'manual',
      });
      await res.arrayBuffer();
      return { status: res.status, location: res.headers.get('location') ?? '' };
    });
    const ticket = new URL(callback.result.location).searchParams.get('ticket');
    if (!ticket) throw new Error(`OAuth callback gave no ticket: ${callback.result.location}`);
    const confirm = await counted(
      bench.kms,
      asHttp('POST', `/cloud-storage/connections/${provider}/confirm`, { ticket }),
    );
    return { connect, callback, confirm };
  };
  // Warm-up flow (modules loaded, KMS client created), then first connections of fresh users, then a
  // re-consent of a connected user (the confirm then also opens the new tokens to keep a refresh token).
  await flow(await bench.createUser('oauth-warm'));
  const firsts = [await flow(user), await flow(await bench.createUser('oauth-2'))];
  const reconsent = [await flow(user)];
  const provFlags = { dataRoute: false, tenantRequest: true };
  rows.push(
    callRow(
      `GET /cloud-storage/connect/${provider}`,
      provFlags,
      firsts.map((f) => f.connect),
    ),
  );
  rows.push(
    callRow(
      `GET /cloud-storage/callback/${provider} (public: code exchange, seal)`,
      { dataRoute: false, tenantRequest: false },
      firsts.map((f) => f.callback),
    ),
  );
  rows.push(
    callRow(
      `POST /cloud-storage/connections/${provider}/confirm (OAuth confirm, first connection)`,
      provFlags,
      firsts.map((f) => f.confirm),
    ),
  );
  rows.push(
    callRow(
      `POST /cloud-storage/connections/${provider}/confirm (OAuth confirm, re-consent)`,
      provFlags,
      reconsent.map((f) => f.confirm),
    ),
  );
  await repeat('GET /auth/me (with one connection)', data, () => http('GET', '/auth/me'));
  await repeat('GET /cloud-storage/connections', data, () => http('GET', '/cloud-storage/connections'));

  const files = findFilesRoute();
  if (files) {
    const urlPath = files.path.replace('{provider}', provider);
    if (/\{\w+\}/.test(urlPath)) {
      rows.push(
        unmeasured(
          `${files.method} ${files.path} (files list)`,
          'not measured',
          'path parameters other than {provider}: extend bench/lib/main.ts',
        ),
      );
    } else {
      await repeat(`${files.method} ${files.path} (files list)`, provFlags, () => http('GET', urlPath));
    }
  } else {
    rows.push(unmeasured('files list', 'no route', 'no GET …/files route in functions/routes.ts yet'));
  }

  // A scheduled pass with exactly one due row (the handler's settings: pool of 8, purge first).
  process.env.DB_POOL_MAX = '8';
  const one: Array<Counted<{ status: string }>> = [];
  for (let i = 0; i < 2; i++) {
    await seedDueConnections(bench.superuserUrl, sandbox, 1, `refresh-one-${i}`);
    const run = await runScheduledRefresh(bench.kms, sandbox, 1, 0);
    one.push({ ...run.counted, result: { status: `refreshed ${run.summary.refreshed}` } });
  }
  rows.push(
    callRow(
      'scheduled refresh, one due row (whole pass: purge + claim + row)',
      { dataRoute: false, tenantRequest: false },
      one.slice(1),
    ),
  );
  return rows;
}
