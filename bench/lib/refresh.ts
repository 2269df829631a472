import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Sandbox } from '#local/sandbox/index';
import { refreshDueConnections, type ScheduledRefreshSummary } from '#shared/cloud-storage/scheduled-refresh';
import { PROVIDERS, type Provider } from '#shared/providers/types';
import { tokenVault } from '#shared/vault/token-vault';
import type { FakeKms } from '../../test/support/fake-kms.ts';
import { type Counted, counted } from './calls.ts';

/**
 * Seeds `count` due connections (users × the three providers), each holding real sandbox tokens sealed by the
 * vault in KMS mode, due because the access token expires within the 15-minute window on a connection used in
 * the last hour. Rows are written as the superuser (seeding only; RLS would need one transaction per user).
 */
export async function seedDueConnections(
  superuserUrl: string,
  sandbox: Sandbox,
  count: number,
  label: string,
): Promise<void> {
  const rows: Array<{
    userId: string;
    provider: Provider;
    ciphertext: Buffer;
    keyVersion: number;
    account: string;
  }> = [];
  const users = Array.from({ length: Math.ceil(count / PROVIDERS.length) }, () => randomUUID());
  const work: Array<{ userId: string; provider: Provider }> = [];
  for (const userId of users) for (const provider of PROVIDERS) work.push({ userId, provider });
  work.length = count;
  // Sealing costs one GenerateDataKey each; eight at a time.
  for (let i = 0; i < work.length; i += 8) {
    await Promise.all(
      work.slice(i, i + 8).map(async ({ userId, provider }) => {
        const issued = sandbox.control.issueTokens(provider);
        const sealed = await tokenVault.seal(
          {
            accessToken: issued.accessToken,
            ...(issued.refreshToken ? { refreshToken: issued.refreshToken } : {}),
            tokenType: 'Bearer',
            scope: issued.scope,
            expiresAt: new Date(Date.now() + 5 * 60_000).toISOString(),
          },
          { userId, provider },
        );
        rows.push({ userId, provider, ...sealed, account: issued.account.id });
      }),
    );
  }
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(
      `insert into users (id, email, name)
       select id, $2 || '-' || id || '@bench.test', 'Bench refresh user' from unnest($1::uuid[]) as id`,
      [users, label],
    );
    await client.query(
      `insert into user_cloud_storage_tokens
         (user_id, provider, tokens_ciphertext, key_version, token_expires_at, scopes, provider_user_id,
          last_used_at)
       select u, p, c, v, now() + interval '5 minutes', '{files.read}', a, now() - interval '1 hour'
       from unnest($1::uuid[], $2::text[], $3::bytea[], $4::int[], $5::text[]) as t(u, p, c, v, a)`,
      [
        rows.map((r) => r.userId),
        rows.map((r) => r.provider),
        rows.map((r) => r.ciphertext),
        rows.map((r) => r.keyVersion),
        rows.map((r) => r.account),
      ],
    );
    await client.query('commit');
  } finally {
    await client.end();
  }
}

export interface RefreshRun {
  due: number;
  summary: ScheduledRefreshSummary;
  counted: Counted<ScheduledRefreshSummary>;
  tokenLatencyMs: number;
  concurrency: number;
  rowsPerSecond: number;
  boundRowsPerSecond: number;
  ratio: number;
  tokenCalls: number;
  /** This process's CPU per refreshed row (the sandbox and the KMS fake run in it too). */
  cpuMsPerRow: number;
  /** Share of the pass's wall time the event loop was busy (not waiting for I/O), descheduled time included. */
  eventLoopUtilization: number;
}

/** One scheduled pass with the token-refresh function's settings (batch 50, concurrency 8, 120 s budget). */
export async function runScheduledRefresh(
  kms: FakeKms,
  sandbox: Sandbox,
  due: number,
  tokenLatencyMs: number,
  options: { concurrency?: number; purgeOAuthRows?: boolean } = {},
): Promise<RefreshRun> {
  for (const provider of PROVIDERS) sandbox.control.configure(provider, { tokenLatencyMs });
  const tokenCallsBefore = PROVIDERS.reduce((n, p) => n + sandbox.control.tokenCalls(p, 'refresh_token'), 0);
  const budgetEnds = Date.now() + 120_000;
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const run = await counted(kms, () =>
    refreshDueConnections({ remainingTimeMs: () => budgetEnds - Date.now(), ...options }),
  );
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const tokenCalls =
    PROVIDERS.reduce((n, p) => n + sandbox.control.tokenCalls(p, 'refresh_token'), 0) - tokenCallsBefore;
  const summary = run.result;
  const rowsPerSecond = summary.refreshed / (summary.durationMs / 1000);
  const boundRowsPerSecond = summary.concurrency / (tokenLatencyMs / 1000);
  return {
    due,
    summary,
    counted: run,
    tokenLatencyMs,
    concurrency: summary.concurrency,
    rowsPerSecond,
    boundRowsPerSecond,
    ratio: rowsPerSecond / boundRowsPerSecond,
    tokenCalls,
    cpuMsPerRow: (cpu.user + cpu.system) / 1000 / Math.max(1, summary.refreshed),
    eventLoopUtilization: elu.utilization,
  };
}
