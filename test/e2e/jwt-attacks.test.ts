import { describe, expect, it } from 'vitest';
import { httpApiEvent, invoke, lambdaContext } from '#local/lambda';
import {
  cognitoLocalPrivateKey,
  decodePart,
  otherKey,
  signHs256,
  signRs256,
  unsigned,
} from '../support/jwt.ts';
import { type TestUser, useTestStack } from '../support/stack.ts';

const invoked: string[] = [];

describe('JWT authorizer and middleware refuse forged and misused tokens', () => {
  const stack = useTestStack({ onInvoke: (key) => invoked.push(key) });

  function variants(user: TestUser): Record<string, string> {
    const { cognito } = stack();
    const access = decodePart(user.accessToken, 1);
    const header = decodePart(user.accessToken, 0);
    const now = Math.floor(Date.now() / 1000);
    const sign = (patch: Record<string, unknown>, headerPatch: Record<string, unknown> = {}) =>
      signRs256({ ...access, ...patch }, { ...header, ...headerPatch }, cognitoLocalPrivateKey);
    const [h, p, s] = user.accessToken.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...access, sub: crypto.randomUUID() })).toString('base64url')}.${s}`;
    void p;
    return {
      expired: sign({ iat: now - 7200, exp: now - 3600 }),
      'not yet valid': sign({ nbf: now + 3600, exp: now + 7200 }),
      'wrong issuer': sign({ iss: `${cognito.issuer}x` }),
      'another user pool': sign({ iss: cognito.issuer.replace(/local_\w+$/, 'local_Other123') }),
      'other client id': sign({ client_id: 'some-other-client' }),
      'id token instead of access token': user.idToken,
      'alg none': unsigned(access, { ...header, alg: 'none' }),
      'HS256 signed with the public key': signHs256(access, { kid: header.kid }, JSON.stringify(header)),
      'tampered payload, old signature': tampered,
      'unknown kid': sign({}, { kid: 'not-a-known-key' }),
      'signed by another key, same kid': signRs256(access, header, otherKey()),
      'missing scope': sign({ scope: 'openid' }),
      'access shape with token_use id': sign({ token_use: 'id' }),
      garbage: 'not.a.jwt',
    };
  }

  it('accepts the genuine access token', async () => {
    const { api, createUser } = stack();
    const user = await createUser();
    expect((await api('GET', '/auth/me', { token: user.accessToken })).status).toBe(200);
  });

  it('answers 401 problem+json to every attack token, and no handler runs', async () => {
    const { api, createUser } = stack();
    const user = await createUser();
    const attacks = variants(user);
    expect(Object.keys(attacks).length).toBeGreaterThanOrEqual(10);
    invoked.length = 0;
    for (const [name, token] of Object.entries(attacks)) {
      for (const [method, path] of [
        ['GET', '/auth/me'],
        ['DELETE', '/auth/me'],
      ] as const) {
        const res = await api<{ status: number; type: string }>(method, path, { token });
        expect(res.status, `${name} on ${method} ${path}`).toBe(401);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(res.body.type).toMatch(/unauthorized$/);
        expect(res.text).not.toContain(token);
      }
    }
    expect(invoked).toEqual([]);
    // The account survived every DELETE attempt.
    expect((await api('GET', '/auth/me', { token: user.accessToken })).status).toBe(200);
  });

  it('the function middleware itself also refuses a non-access token, should an authorizer let one through', async () => {
    // In AWS the authorizer's audience check alone would pass an ID token; the scope requirement and this
    // middleware check are the two layers that refuse it. Here the handler is invoked directly, as Lambda would.
    const { createUser } = stack();
    const user = await createUser();
    const { handler } = await import('#functions/auth/me-delete');
    const claims = { ...decodePart(user.accessToken, 1), token_use: 'id' };
    const res = await invoke(
      handler,
      httpApiEvent({
        method: 'DELETE',
        routePath: '/auth/me',
        headers: { authorization: `Bearer ${user.accessToken}` },
        claims,
      }),
      lambdaContext({ functionName: 'auth/me-delete', timeoutSeconds: 10 }),
    );
    expect(res.statusCode).toBe(401);
    expect((await stack().api('GET', '/auth/me', { token: user.accessToken })).status).toBe(200);
  });

  it('refuses a missing or malformed Authorization header and a token in the URL', async () => {
    const { api, createUser, url } = stack();
    const user = await createUser();
    invoked.length = 0;
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: user.accessToken },
      { authorization: `Basic ${user.accessToken}` },
      { authorization: 'Bearer' },
      { authorization: `Bearer ${user.accessToken} extra` },
    ];
    for (const headers of cases) {
      expect((await api('GET', '/auth/me', { headers })).status).toBe(401);
    }
    const inUrl = await fetch(`${url}/auth/me?access_token=${user.accessToken}`);
    expect(inUrl.status).toBe(401);
    expect(invoked).toEqual([]);
  });
});
