import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/ports';
import {
  type EmbeddedCluster,
  LOCAL_ROLE_PASSWORDS,
  prepareDatabase,
  startEmbeddedPostgres,
} from '#local/postgres';
import { closePools } from '#shared/db/pool';
import { withoutTenant } from '#shared/db/tenant';
import { type FakeSecretsManager, startFakeSecretsManager } from '../support/fake-secrets-manager.ts';

/**
 * Day 30: Secrets Manager rotates brand_app's password (single-user rotation: ALTER ROLE, then the secret's
 * AWSCURRENT moves to the new value) while the functions keep serving. Warm functions built their pool from the
 * old secret value; every new connection they open (after an idle one was closed) must not fail for good.
 *
 * Roles are cluster-wide, so this file runs its own PostgreSQL: rotating brand_app on the shared one would break
 * every other test file. The credentials come the way they do in AWS: DB_SECRET_ARN read through the real
 * Secrets Manager client (here from a loopback fake), no connection string.
 */
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:brand-app-AbCdEf';
const ENV_KEYS = [
  'APP_DATABASE_URL',
  'DB_SECRET_ARN',
  'DB_HOST',
  'DB_NAME',
  'DB_POOL_MAX',
  'DB_IDLE_TIMEOUT_MS',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
] as const;

let dir: string;
let cluster: EmbeddedCluster;
let ownerUrl: string;
let secrets: FakeSecretsManager;
const savedEnv: Record<string, string | undefined> = {};

const secretValue = (password: string) => ({
  engine: 'postgres',
  username: 'brand_app',
  password,
  host: '127.0.0.1',
  port: cluster.port,
  dbname: 'brand',
});

async function setPassword(password: string): Promise<void> {
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    await owner.query(`ALTER ROLE brand_app PASSWORD ${owner.escapeLiteral(password)}`);
  } finally {
    await owner.end();
  }
}

beforeAll(async () => {
  for (const key of ENV_KEYS) savedEnv[key] = process.env[key];
  dir = await mkdtemp(path.join(os.tmpdir(), 'brand-pg-rotation-'));
  cluster = await startEmbeddedPostgres(path.join(dir, 'data'), await freePort());
  ({ ownerUrl } = await prepareDatabase(cluster.superuserUrl(), 'brand'));
  secrets = await startFakeSecretsManager();
  secrets.put(SECRET_ARN, secretValue(LOCAL_ROLE_PASSWORDS.brand_app));

  delete process.env.APP_DATABASE_URL;
  delete process.env.DB_HOST;
  delete process.env.DB_NAME;
  process.env.DB_SECRET_ARN = SECRET_ARN;
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  // Several connections, each closed after 20 ms idle: new logins all the time, as warm Lambda containers make
  // when their idle connection has been closed.
  process.env.DB_POOL_MAX = '4';
  process.env.DB_IDLE_TIMEOUT_MS = '20';
}, 180_000);

afterAll(async () => {
  await closePools();
  await secrets?.close();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

interface Outcome {
  startedAt: number;
  ok: boolean;
  error?: string;
}

describe('database password rotation under load', () => {
  it('no request fails once the rotation has settled (re-read the secret, rebuild the pool, retry once)', async () => {
    const outcomes: Outcome[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        const startedAt = performance.now();
        try {
          await withoutTenant((tx) => tx.query('select count(*)::int as n from users'));
          outcomes.push({ startedAt, ok: true });
        } catch (error) {
          const e = error as { code?: string; status?: number; name?: string };
          outcomes.push({ startedAt, ok: false, error: `${e.name} ${e.code ?? e.status ?? ''}` });
        }
        await sleep(Math.floor(Math.random() * 50));
      }
    };
    const workers = Array.from({ length: 6 }, worker);

    // Phases end on counts of requests, never on elapsed time (the machine may be slow).
    const until = async (what: string, done: () => boolean) => {
      const deadline = Date.now() + 30_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
        await sleep(10);
      }
    };
    const startedSince = (t: number) => outcomes.filter((o) => o.startedAt >= t);

    await until('20 requests before the rotation', () => outcomes.length >= 20);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    const readsBefore = secrets.reads(SECRET_ARN);

    // The rotation function's setSecret step: the database has the new password, the secret still the old one.
    const rotatedAt = performance.now();
    await setPassword('rotated-password-0001');
    // New logins fail meanwhile (the load really reconnects): that is the rotation's own window.
    await until('a refused login during the rotation', () => startedSince(rotatedAt).some((o) => !o.ok));
    // finishSecret: AWSCURRENT is the new value. From here on, nothing may fail.
    secrets.put(SECRET_ARN, secretValue('rotated-password-0001'));
    const settledAt = performance.now();
    await until('60 requests after the rotation', () => startedSince(settledAt).length >= 60);
    running = false;
    await Promise.all(workers);

    const after = startedSince(settledAt);
    expect(after.filter((o) => !o.ok)).toEqual([]);
    const windowFailures = outcomes.filter(
      (o) => o.startedAt >= rotatedAt && o.startedAt < settledAt && !o.ok,
    );
    expect(windowFailures.length).toBeGreaterThan(0);
    expect(
      windowFailures.some((o) => o.error === 'error 28P01'),
      windowFailures.map((o) => o.error).join(', '),
    ).toBe(true);
    // The recovery path is what re-read the secret.
    expect(secrets.reads(SECRET_ARN)).toBeGreaterThan(readsBefore);
  }, 60_000);

  it('a login still refused after re-reading the secret fails (one retry, no loop), with nothing secret in it', async () => {
    await setPassword('rotated-password-0002');
    // A secret that does not match the database (a misconfiguration, not a rotation).
    secrets.put(SECRET_ARN, secretValue('not-the-password'));
    // Let the pool's idle connections (opened with the previous password) close.
    await sleep(100);
    const reads = secrets.reads(SECRET_ARN);
    const failure = await withoutTenant((tx) => tx.query('select 1')).then(
      () => undefined,
      (error: unknown) => error as { code?: string; message?: string },
    );
    expect(failure?.code).toBe('28P01');
    expect(failure?.message).not.toContain('not-the-password');
    expect(secrets.reads(SECRET_ARN)).toBe(reads + 1);

    // Once the secret is right again, the next request recovers by itself.
    secrets.put(SECRET_ARN, secretValue('rotated-password-0002'));
    await expect(withoutTenant((tx) => tx.query('select 1 as one'))).resolves.toMatchObject({
      rows: [{ one: 1 }],
    });
  }, 30_000);
});
