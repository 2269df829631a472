import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { routeEntries } from '#functions/routes';
import { type LocalS3, startLocalS3 } from '#local/s3/server';
import { resetCognitoClient } from '#shared/auth/cognito';
import { mapDbError } from '#shared/db/errors';
import { BadRequest } from '#shared/errors';
import type { RouteDef } from '#shared/http/route';
import { resetVaultForTests, tokenVault } from '#shared/vault/token-vault';
import { insertUsers, useTestDatabase } from '../../support/db.ts';
import { type FakeCognito, startFakeCognito } from '../../support/fake-cognito.ts';
import { insertConnection } from '../../support/vault-rows.ts';
import { asSuperuser, call, handlerFor, httpEvent } from '../resources/helpers.ts';

/**
 * Findings 1 and 3 of the security review, against a loopback Cognito that answers what cognito-local cannot
 * be made to: irreversible routes prove the token with Cognito first, and registration validates everything
 * before the sign-up and leaves no Cognito user behind when the row cannot be written.
 */
const db = useTestDatabase();
let cognito: FakeCognito;
let documents: LocalS3;
let documentsDir: string;

beforeAll(async () => {
  cognito = await startFakeCognito();
  // Account deletion also empties the user's prefix in the document store: a real local S3 serves it.
  documentsDir = await mkdtemp(path.join(os.tmpdir(), 'brand-s3-'));
  documents = await startLocalS3({
    directory: documentsDir,
    bucket: 'brand-documents-test',
    allowedOrigins: [],
  });
  vi.stubEnv('DOCUMENTS_BUCKET', documents.bucket);
  vi.stubEnv('DOCUMENTS_S3_ENDPOINT', documents.endpoint);
  vi.stubEnv('DOCUMENTS_S3_ACCESS_KEY_ID', documents.credentials.accessKeyId);
  vi.stubEnv('DOCUMENTS_S3_SECRET_ACCESS_KEY', documents.credentials.secretAccessKey);
  vi.stubEnv('COGNITO_ENDPOINT', cognito.endpoint);
  vi.stubEnv('COGNITO_CLIENT_ID', 'test-client');
  vi.stubEnv('COGNITO_USER_POOL_ID', 'us-east-1_fake');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  vi.stubEnv('TOKEN_VAULT_KMS_KEY_ARN', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEYS', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', randomBytes(32).toString('base64'));
  resetVaultForTests();
  resetCognitoClient();
});
afterAll(async () => {
  await cognito?.close();
  await documents?.stop();
  if (documentsDir) await rm(documentsDir, { recursive: true, force: true });
  vi.unstubAllEnvs();
  resetVaultForTests();
  resetCognitoClient();
});
beforeEach(() => cognito.clear());

const context = { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 10_000 } as Context;

/** Calls a route's real handler as API Gateway would after its JWT authorizer, with the bearer token. */
async function callWithToken(key: string, route: RouteDef, userId: string, params?: Record<string, string>) {
  const event = httpEvent(route, { userId, ...(params ? { params } : {}) });
  event.headers.authorization = 'Bearer header.payload.signature';
  const result = await (await handlerFor(key))(event, context);
  return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined };
}

/** Everything the user owns, as the superuser sees it. */
async function footprint(userId: string): Promise<string> {
  const rows = await asSuperuser<{ snapshot: string }>(
    db().name,
    `select json_build_object(
       'users', (select count(*) from users where id = $1),
       'connections', (select count(*) from user_cloud_storage_tokens where user_id = $1),
       'competitors', (select count(*) from competitors where user_id = $1),
       'audit', (select count(*) from audit_log where user_id = $1))::text as snapshot`,
    [userId],
  );
  return rows[0]!.snapshot;
}

async function userWithData(): Promise<string> {
  const userId = randomUUID();
  await insertUsers(db().appUrl, userId);
  const sealed = await tokenVault.seal(
    { accessToken: 'at', refreshToken: 'rt' },
    { userId, provider: 'dropbox' },
  );
  await insertConnection(userId, 'dropbox', sealed);
  expect((await call('competitors/create', { userId, body: { name: 'Acme' } })).status).toBe(201);
  return userId;
}

const irreversible = routeEntries().filter(([, def]) => (def as RouteDef).irreversible);

describe('irreversible routes prove the token with Cognito (finding 1)', () => {
  it('the route table marks account deletion and disconnect', () => {
    expect(irreversible.map(([key]) => key).sort()).toEqual(['auth/me-delete', 'cloud-storage/disconnect']);
  });

  describe.each(irreversible)('%s', (key, def) => {
    const params = def.path.includes('{provider}') ? { provider: 'dropbox' } : undefined;

    it.each([
      ['a revoked (signed-out) token', 'NotAuthorizedException'],
      ['a disabled user', 'NotAuthorizedException'],
      ['a user whose password must be reset', 'PasswordResetRequiredException'],
    ])('%s (GetUser → %s) → 401, nothing touched, nothing deleted in Cognito', async (_, exception) => {
      const userId = await userWithData();
      const before = await footprint(userId);
      cognito.fail('GetUser', exception);
      const response = await callWithToken(key, def as RouteDef, userId, params);
      expect(response.status).toBe(401);
      expect(response.body.type).toMatch(/unauthorized$/);
      expect(await footprint(userId)).toBe(before);
      expect(cognito.count('GetUser')).toBe(1);
      expect(cognito.count('DeleteUser')).toBe(0);
    });

    it('Cognito unavailable → 503, nothing touched', async () => {
      const userId = await userWithData();
      const before = await footprint(userId);
      cognito.fail('GetUser', 'InternalErrorException', 500);
      const response = await callWithToken(key, def as RouteDef, userId, params);
      expect(response.status).toBe(503);
      expect(await footprint(userId)).toBe(before);
      expect(cognito.count('DeleteUser')).toBe(0);
    });
  });

  it('account deletion with a live token deletes the Cognito user, then every row', async () => {
    const userId = randomUUID();
    await insertUsers(db().appUrl, userId);
    await call('competitors/create', { userId, body: { name: 'Acme' } });
    const response = await callWithToken('auth/me-delete', irreversible[0]![1] as RouteDef, userId);
    expect(response.status).toBe(204);
    expect(cognito.count('DeleteUser')).toBe(1);
    expect(await footprint(userId)).toBe('{"users" : 0, "connections" : 0, "competitors" : 0, "audit" : 0}');
  });

  it('only UserNotFoundException means "already deleted in Cognito": the rows still go', async () => {
    const userId = await userWithData();
    cognito.fail('GetUser', 'UserNotFoundException');
    const [, def] = irreversible.find(([key]) => key === 'auth/me-delete')!;
    const response = await callWithToken('auth/me-delete', def as RouteDef, userId);
    expect(response.status).toBe(204);
    expect(cognito.count('DeleteUser')).toBe(0);
    expect(await footprint(userId)).toBe('{"users" : 0, "connections" : 0, "competitors" : 0, "audit" : 0}');
    // A retry of a finished deletion is a no-op, not a provisioning attempt.
    expect((await callWithToken('auth/me-delete', def as RouteDef, userId)).status).toBe(204);
  });

  it('a deleted user cannot disconnect (UserNotFoundException → 401)', async () => {
    const userId = await userWithData();
    const before = await footprint(userId);
    cognito.fail('GetUser', 'UserNotFoundException');
    const [, def] = irreversible.find(([key]) => key === 'cloud-storage/disconnect')!;
    const response = await callWithToken('cloud-storage/disconnect', def as RouteDef, userId, {
      provider: 'dropbox',
    });
    expect(response.status).toBe(401);
    expect(await footprint(userId)).toBe(before);
  });
});

describe('registration (finding 3)', () => {
  const valid = { password: 'Correct-horse-42!', name: 'Reg User', organizationName: 'Acme' };
  const email = () => `reg-${randomBytes(4).toString('hex')}@example.test`;

  it.each([
    ['NUL in name', { name: 'a\u0000b' }, 'name'],
    ['NUL in organizationName', { organizationName: 'Acme\u0000' }, 'organizationName'],
    ['a lone surrogate in name', { name: 'x\ud800y' }, 'name'],
    ['a lone surrogate in organizationName', { organizationName: '\udfff' }, 'organizationName'],
    ['only format characters as name', { name: '\u200b\u2060\ufeff' }, 'name'],
    ['a name over 200 characters', { name: 'n'.repeat(201) }, 'name'],
    ['an organizationName over 200 characters', { organizationName: 'o'.repeat(201) }, 'organizationName'],
    ['NUL in password', { password: 'Correct-horse-42!\u0000' }, 'password'],
  ])('%s → 400 naming the field, before any call to Cognito', async (_, change, field) => {
    const response = await call('auth/register', { body: { email: email(), ...valid, ...change } });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    expect(cognito.calls).toEqual([]);
  });

  it('stores names normalised: NFC, without invisible characters', async () => {
    const response = await call('auth/register', {
      body: { email: email(), ...valid, name: '\u200bCafe\u0301\u00ad ', organizationName: 'A\u200dcme' },
    });
    expect(response.status).toBe(201);
    const [row] = await asSuperuser<{ name: string; organization_name: string }>(
      db().name,
      'select name, organization_name from users where id = $1',
      [response.body.userId],
    );
    expect(row).toEqual({ name: 'Café', organization_name: 'Acme' });
    expect(cognito.calls.find((c) => c.operation === 'SignUp')!.body.UserAttributes).toContainEqual({
      Name: 'name',
      Value: 'Café',
    });
  });

  it('a user row that cannot be written undoes the sign-up: no Cognito user is left behind', async () => {
    const taken = email();
    // The email already has a row (another sub): the insert fails after Cognito accepted the sign-up.
    const holder = randomUUID();
    await insertUsers(db().appUrl, holder);
    await asSuperuser(db().name, 'update users set email = $1 where id = $2', [taken, holder]);
    const usersBefore = cognito.users.size;
    const response = await call('auth/register', { body: { email: taken, ...valid } });
    expect(response.status).toBe(409);
    expect(cognito.count('SignUp')).toBe(1);
    expect(cognito.calls.find((c) => c.operation === 'AdminDeleteUser')?.body).toEqual({
      UserPoolId: 'us-east-1_fake',
      Username: taken,
    });
    expect(cognito.users.has(taken)).toBe(false);
    expect(cognito.users.size).toBe(usersBefore);
  });

  it('SQLSTATE 22021, 22P05 and 22001 are 400s, not 500s', () => {
    for (const code of ['22021', '22P05', '22001']) {
      expect(() => mapDbError({ code, message: 'x' })).toThrow(BadRequest);
    }
  });
});

describe('names read back from Cognito (finding 3)', () => {
  it('a NUL or lone surrogate in the Cognito name is sanitised at provisioning, not a 500 on every request', async () => {
    const userId = randomUUID();
    cognito.setGetUserAttributes([
      { Name: 'email', Value: `${userId}@example.test` },
      { Name: 'name', Value: 'Bad\u0000name\ud800 \u200b' },
    ]);
    const [key, def] = routeEntries().find(([k]) => k === 'auth/me-get')!;
    const first = await callWithToken(key, def as RouteDef, userId);
    expect(first.status).toBe(200);
    expect(first.body.name).toBe('Bad name\ufffd');
    expect((await callWithToken(key, def as RouteDef, userId)).status).toBe(200);
  });
});
