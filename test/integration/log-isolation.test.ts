import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineHandler } from '#functions/define-handler';
import { createGateway, listen } from '#local/gateway';
import { httpApiEvent, jsonBody, lambdaContext } from '#local/lambda';
import { InProcessQueue, runLocalRefresh } from '#local/refresh-queue';
import type { RouteDef } from '#shared/http/route';
import { logger } from '#shared/logger';
import { resetVaultForTests } from '#shared/vault/token-vault';
import { captureOutput } from '../support/capture-output.ts';
import { useTestDatabase } from '../support/db.ts';
import { useLocalVaultKey } from '../support/refresh-rows.ts';

/**
 * One process serves many invocations at once locally (the gateway's requests, the in-process schedule), as a
 * Lambda Managed Instance does. Every log line must carry the keys of its own invocation and no other's: a
 * request's `userId`/`requestId` never shows up on another request's line or on the scheduled job's, and nothing
 * is left behind once the invocations are over.
 */
// Every invocation starts at the configured level (Powertools resets it per invocation): INFO here, so the
// scheduled job's summary line is written.
const configuredLevel = vi.hoisted(() => {
  const before = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'INFO';
  return before;
});

const probeRoute = {
  method: 'POST',
  path: '/test/log-probe',
  auth: 'jwt',
  summary: 'test-only: logs twice with pauses in between',
  tag: 'test',
  capabilities: [],
  body: z.strictObject({ pauses: z.array(z.number().int().min(0).max(50)).length(2) }),
  status: 200,
} as const satisfies RouteDef;

const probe = defineHandler(probeRoute, async ({ userId, requestId, body }) => {
  await sleep(body.pauses[0]);
  logger.info('probe', { expectUserId: userId, expectRequestId: requestId });
  await sleep(body.pauses[1]);
  logger.warn('probe', { expectUserId: userId, expectRequestId: requestId });
  return { requestId };
});

const USERS = Array.from({ length: 6 }, (_, i) => `0e0e0e0e-0000-4000-8000-00000000000${i}`);
const REQUEST_KEYS = ['userId', 'requestId', 'route'];

useTestDatabase();
let baseUrl: string;
let close: () => Promise<void>;

beforeAll(async () => {
  useLocalVaultKey();
  const server = createGateway({
    // Bearer `user:<uuid>` stands for a verified access token of that user.
    verifyBearer: async (authorization) => {
      const sub = authorization?.replace(/^Bearer user:/, '');
      if (!sub || !USERS.includes(sub)) throw new Error('unknown test user');
      return { sub, token_use: 'access', client_id: 'test-client' };
    },
    extraRoutes: [['test/log-probe', probeRoute, probe as never]],
  });
  baseUrl = `http://127.0.0.1:${await listen(server, 0)}`;
  close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
});
afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(async () => {
  if (configuredLevel === undefined) delete process.env.LOG_LEVEL;
  else process.env.LOG_LEVEL = configuredLevel;
  await close?.();
  resetVaultForTests();
});

describe('log keys stay with their own invocation', () => {
  it('concurrent gateway requests and the scheduled job never carry each other’s keys', async () => {
    const output = captureOutput();
    const requests = Array.from({ length: 36 }, async (_, i) => {
      const res = await fetch(`${baseUrl}/test/log-probe`, {
        method: 'POST',
        headers: {
          authorization: `Bearer user:${USERS[i % USERS.length]}`,
          'content-type': 'application/json',
        },
        // Pauses that make the requests' log calls interleave.
        body: JSON.stringify({ pauses: [(i * 7) % 23, (i * 11) % 19] }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { requestId: string }).requestId;
    });
    const [requestIds, job] = await Promise.all([
      Promise.all(requests),
      (async () => {
        await sleep(5);
        return runLocalRefresh(new InProcessQueue());
      })(),
    ]);
    logger.info('after every invocation');
    vi.restoreAllMocks();

    expect(job).toMatchObject({ scheduled: { claimed: 0 }, left: 0 });
    const lines = output.lines();
    const probes = lines.filter((line) => line.message === 'probe');
    expect(probes).toHaveLength(2 * requestIds.length);
    for (const line of probes) {
      expect(line.userId).toBe(line.expectUserId);
      expect(line.requestId).toBe(line.expectRequestId);
      expect(line.route).toBe('POST /test/log-probe');
    }
    expect(new Set(probes.map((line) => line.requestId))).toEqual(new Set(requestIds));

    const jobLines = lines.filter((line) => line.message === 'Refresh scheduler');
    expect(jobLines).toHaveLength(1);
    const after = lines.filter((line) => line.message === 'after every invocation');
    expect(after).toHaveLength(1);
    for (const line of [...jobLines, ...after]) {
      for (const key of REQUEST_KEYS) expect(line, `${line.message}: ${key}`).not.toHaveProperty(key);
    }
    // Each line names its own Lambda invocation: the job's is not one of the requests'.
    expect(requestIds).not.toContain(jobLines[0]!.function_request_id);
  });

  it('in a standard Lambda environment (one invocation at a time) a request’s keys end with it, also on failure', async () => {
    const output = captureOutput();
    // Invoked directly, as the Lambda runtime does: no invocation scope, so only the per-request reset helps.
    const bad = await probe(
      httpApiEvent({
        method: 'POST',
        routePath: probeRoute.path,
        ...jsonBody({ pauses: [1] }),
        claims: { sub: USERS[0], token_use: 'access', client_id: 'test-client' },
      }),
      lambdaContext({ functionName: 'test/log-probe', timeoutSeconds: 10 }),
    );
    expect(bad.statusCode).toBe(400);
    logger.error('between requests');
    const good = await probe(
      httpApiEvent({
        method: 'POST',
        routePath: probeRoute.path,
        ...jsonBody({ pauses: [0, 0] }),
        claims: { sub: USERS[1], token_use: 'access', client_id: 'test-client' },
      }),
      lambdaContext({ functionName: 'test/log-probe', timeoutSeconds: 10 }),
    );
    expect(good.statusCode).toBe(200);
    logger.error('after the requests');
    vi.restoreAllMocks();

    const lines = output.lines();
    for (const message of ['between requests', 'after the requests']) {
      const line = lines.find((l) => l.message === message);
      expect(line, message).toBeDefined();
      for (const key of REQUEST_KEYS) expect(line, `${message}: ${key}`).not.toHaveProperty(key);
    }
    const probes = lines.filter((line) => line.message === 'probe');
    expect(probes).toHaveLength(2);
    expect(probes.every((line) => line.userId === USERS[1])).toBe(true);
  });
});
