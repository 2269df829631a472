import { afterEach, describe, expect, it, vi } from 'vitest';
import { refreshPassHandler as handler } from '#local/refresh-pass';
import { logger } from '#shared/logger';
import { captureOutput, fakeLambdaContext } from '../support/capture-output.ts';
import {
  newUserIds,
  openStored,
  readConnections,
  seedConnections,
  useRefreshSandbox,
} from '../support/refresh-rows.ts';

/** The single-pass runner (local/refresh-pass.ts): one pass, metrics flushed once, one summary line, no token in any output. */
const { db, sandbox } = useRefreshSandbox();

afterEach(() => {
  vi.restoreAllMocks();
  logger.setLogLevel('ERROR');
});

describe('token-refresh handler', () => {
  it('emits one metric per outcome and one summary line, and never prints a token', async () => {
    const [user] = newUserIds(1);
    const seeded = await seedConnections(db().name, sandbox, [
      { userId: user!, provider: 'google_drive' },
      { userId: user!, provider: 'onedrive' },
      { userId: user!, provider: 'dropbox' },
    ]);
    sandbox.control.failNextTokenCalls('google_drive', { kind: 'server_error' });
    sandbox.control.failNextTokenCalls('dropbox', { kind: 'invalid_grant' });
    logger.setLogLevel('INFO');
    const output = captureOutput();

    const result = await handler({}, fakeLambdaContext(110_000) as never);
    vi.restoreAllMocks();

    expect(result).toMatchObject({ refreshed: 1, transient: 1, needsReauth: 1, stoppedByBudget: false });
    const metrics = output.metrics();
    expect(metrics).toMatchObject({
      'BrandCloud/TokensRefreshed': 1,
      'BrandCloud/RefreshFailedTransient': 1,
      'BrandCloud/RefreshNeedsReauth': 1,
      'BrandCloud/RefreshSkipped': 0,
      'BrandCloud/RefreshConfigErrors': 0,
      'BrandCloud/RefreshErrors': 0,
    });
    expect(metrics['BrandCloud/RefreshDurationMs']).toEqual(expect.any(Number));
    const blobs = output.lines().filter((line) => line._aws);
    expect(blobs).toHaveLength(1);
    expect(blobs[0]).toMatchObject({ service: 'token-refresh' });

    const summaries = output.lines().filter((line) => line.message === 'Scheduled token refresh');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({
      level: 'INFO',
      function_request_id: 'req-0000-test',
      summary: {
        refreshed: 1,
        transient: 1,
        needsReauth: 1,
        stoppedByBudget: false,
        stopReason: 'done',
        byProvider: {
          google_drive: { transient: 1 },
          onedrive: { refreshed: 1, rotated: 1 },
          dropbox: { needsReauth: 1 },
        },
      },
    });
    expect((summaries[0]!.summary as { durationMs: unknown }).durationMs).toEqual(expect.any(Number));

    // No token, old or new, in anything printed.
    const secrets = seeded.flatMap((s) => [s.tokens.accessToken, s.tokens.refreshToken!]);
    for (const row of (await readConnections(db().name)).values()) {
      const tokens = await openStored(row);
      secrets.push(tokens.accessToken, tokens.refreshToken!);
    }
    expect(secrets.length).toBeGreaterThan(6);
    const text = output.text();
    expect(text).toContain('Scheduled token refresh');
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
