import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestStack } from '../support/stack.ts';

describe('auth flow without auto-confirmation (as in AWS)', () => {
  const stack = useTestStack({ autoConfirm: false });

  /** The code Cognito would email; cognito-local keeps it in its data file. */
  async function confirmationCode(email: string): Promise<string> {
    const dbDir = path.join(stack().stateDir, 'cognito', '.cognito', 'db');
    for (const file of await readdir(dbDir)) {
      if (!file.startsWith('local_')) continue;
      const data = JSON.parse(await readFile(path.join(dbDir, file), 'utf8')) as {
        Users: Record<
          string,
          { Attributes: Array<{ Name: string; Value: string }>; ConfirmationCode?: string }
        >;
      };
      for (const user of Object.values(data.Users)) {
        if (user.Attributes.some((a) => a.Name === 'email' && a.Value === email) && user.ConfirmationCode) {
          return user.ConfirmationCode;
        }
      }
    }
    throw new Error('no confirmation code found');
  }

  it('register → confirm → login → me → refresh → me', async () => {
    const { api } = stack();
    const email = `flow-${Date.now()}@example.test`;
    const password = 'Correct-horse-42!';

    const reg = await api<{ userId: string; email: string; confirmationRequired: boolean }>(
      'POST',
      '/auth/register',
      {
        body: { email, password, name: 'Flow User', organizationName: 'Acme' },
      },
    );
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ email, confirmationRequired: true });
    expect(reg.body.userId).toMatch(/^[0-9a-f-]{36}$/);

    const early = await api<{ type: string }>('POST', '/auth/login', { body: { email, password } });
    expect(early.status).toBe(403);
    expect(early.body.type).toMatch(/user-not-confirmed$/);

    const wrongCode = await api('POST', '/auth/confirm', { body: { email, code: '000000x' } });
    expect(wrongCode.status).toBe(400);

    const confirmed = await api('POST', '/auth/confirm', {
      body: { email, code: await confirmationCode(email) },
    });
    expect(confirmed.status).toBe(204);

    const login = await api<{
      accessToken: string;
      idToken: string;
      refreshToken: string;
      expiresIn: number;
      tokenType: string;
    }>('POST', '/auth/login', { body: { email: email.toUpperCase(), password } });
    expect(login.status).toBe(200);
    expect(login.body.tokenType).toBe('Bearer');
    expect(login.body.expiresIn).toBeGreaterThan(0);

    const me = await api<{
      id: string;
      email: string;
      name: string;
      organizationName: string;
      connections: unknown[];
    }>('GET', '/auth/me', { token: login.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      id: reg.body.userId,
      email,
      name: 'Flow User',
      organizationName: 'Acme',
      connections: [],
    });

    const refreshed = await api<{ accessToken: string; refreshToken?: string }>('POST', '/auth/refresh', {
      body: { refreshToken: login.body.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).toBeUndefined();
    const me2 = await api<{ id: string }>('GET', '/auth/me', { token: refreshed.body.accessToken });
    expect(me2.status).toBe(200);
    expect(me2.body.id).toBe(reg.body.userId);
  });
});

describe('auth contract', () => {
  const stack = useTestStack();

  it('maps Cognito errors to clear problems', async () => {
    const { api, createUser } = stack();
    const user = await createUser();
    const dup = await api<{ type: string }>('POST', '/auth/register', {
      body: { email: user.email, password: 'Another-pass-123!', name: 'Dup' },
    });
    expect(dup.status).toBe(409);
    expect(dup.headers.get('content-type')).toContain('application/problem+json');

    const weak = await api<{ errors: Array<{ path: string; message: string }> }>('POST', '/auth/register', {
      body: { email: 'weak@example.test', password: 'short', name: 'Weak' },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.errors.map((e) => e.path)).toContain('password');
    expect(weak.body.errors.map((e) => e.message).join(' ')).toMatch(/12 characters/);
    expect(weak.text).not.toContain('short');

    const wrong = await api('POST', '/auth/login', {
      body: { email: user.email, password: 'Wrong-password-1!' },
    });
    expect(wrong.status).toBe(401);
    const unknown = await api('POST', '/auth/login', {
      body: { email: 'nobody@example.test', password: 'Wrong-password-1!' },
    });
    expect(unknown.status).toBe(401);
    const badRefresh = await api('POST', '/auth/refresh', { body: { refreshToken: 'not-a-refresh-token' } });
    expect(badRefresh.status).toBe(401);
  });

  it('rejects unknown fields such as a userId in the body', async () => {
    const { api } = stack();
    const res = await api<{ errors: Array<{ path: string }> }>('POST', '/auth/register', {
      body: {
        email: 'x@example.test',
        password: 'Valid-password-1!',
        name: 'X',
        userId: crypto.randomUUID(),
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({ path: 'userId', message: 'Unknown field' });
  });

  it('keeps users apart and deletes one account completely', async () => {
    const { api, createUser, db } = stack();
    const a = await createUser();
    const b = await createUser();
    const meA = await api<{ id: string; email: string }>('GET', '/auth/me', { token: a.accessToken });
    const meB = await api<{ id: string; email: string }>('GET', '/auth/me', { token: b.accessToken });
    expect(meA.body).toMatchObject({ id: a.userId, email: a.email });
    expect(meB.body).toMatchObject({ id: b.userId, email: b.email });

    const del = await api('DELETE', '/auth/me', { token: a.accessToken });
    expect(del.status).toBe(204);

    // The deleted user's still-unexpired token no longer works; the other user is intact.
    expect((await api('GET', '/auth/me', { token: a.accessToken })).status).toBe(401);
    expect(
      (await api('POST', '/auth/login', { body: { email: a.email, password: a.password } })).status,
    ).toBe(401);
    expect((await api('GET', '/auth/me', { token: b.accessToken })).status).toBe(200);

    const { default: pg } = await import('pg');
    const owner = new pg.Client({ connectionString: db.ownerUrl });
    await owner.connect();
    try {
      // The owner is subject to FORCE RLS too, so count through a tenant context per user.
      const count = async (id: string) => {
        await owner.query('begin');
        await owner.query("select set_config('app.user_id', $1, true)", [id]);
        const users = await owner.query('select count(*)::int as n from users');
        const audit = await owner.query('select count(*)::int as n from audit_log');
        await owner.query('commit');
        return { users: users.rows[0].n, audit: audit.rows[0].n };
      };
      expect(await count(a.userId)).toEqual({ users: 0, audit: 0 });
      expect((await count(b.userId)).users).toBe(1);
    } finally {
      await owner.end();
    }
  });

  it('provisions the row of a user created directly in Cognito on first use', async () => {
    const { api, cognito } = stack();
    const { CognitoIdentityProviderClient, SignUpCommand, AdminConfirmSignUpCommand, InitiateAuthCommand } =
      await import('@aws-sdk/client-cognito-identity-provider');
    // Straight to cognito-local's own port, bypassing our register handler.
    const direct = new CognitoIdentityProviderClient({
      endpoint: cognito.upstream,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const email = `direct-${Date.now()}@example.test`;
    const password = 'Direct-user-pass-1!';
    const signUp = await direct.send(
      new SignUpCommand({
        ClientId: cognito.clientId,
        Username: email,
        Password: password,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    await direct.send(new AdminConfirmSignUpCommand({ UserPoolId: cognito.userPoolId, Username: email }));
    const auth = await direct.send(
      new InitiateAuthCommand({
        ClientId: cognito.clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    );
    direct.destroy();
    const me = await api<{ id: string; email: string }>('GET', '/auth/me', {
      token: auth.AuthenticationResult!.AccessToken!,
    });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: signUp.UserSub, email });
  });
});
