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
      'no exp': sign({ exp: undefined }),
      garbage: 'not.a.jwt',
    };
  }

  /** The reason API Gateway's authorizer gives in `www-authenticate` (the local gateway gives the same). */
  const reasons: Record<string, string> = {
    expired: 'the token has expired',
    'not yet valid': 'the token is not valid yet',
    'wrong issuer': 'the token does not have a valid issuer',
    'another user pool': 'the token does not have a valid issuer',
    'other client id': 'the token does not have a valid audience',
    'id token instead of access token': 'the token does not have a valid scope',
    'alg none': 'the token is malformed', // no signature at all
    'HS256 signed with the public key': 'the token signature is invalid',
    'tampered payload, old signature': 'the token signature is invalid',
    'unknown kid': 'the token signature is invalid',
    'signed by another key, same kid': 'the token signature is invalid',
    'missing scope': 'the token does not have a valid scope',
    'access shape with token_use id': 'the token does not have a valid scope',
    'no exp': 'the token does not have an expiration time',
    garbage: 'the token is malformed',
  };

  it('accepts the genuine access token', async () => {
    const { api, createUser } = stack();
    const user = await createUser();
    expect((await api('GET', '/auth/me', { token: user.accessToken })).status).toBe(200);
  });

  it("answers API Gateway's own 401 (and why) to every attack token, and no handler runs", async () => {
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
        const res = await api(method, path, { token });
        expect(res.status, `${name} on ${method} ${path}`).toBe(401);
        expect(res.headers.get('content-type')).toBe('application/json');
        expect(res.text).toBe('{"message":"Unauthorized"}');
        expect(res.headers.get('www-authenticate'), name).toBe(
          `Bearer scope="" error="invalid_token" error_description="${reasons[name]}"`,
        );
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
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'Bearer'],
      [{ authorization: `Basic ${user.accessToken}` }, 'malformed'],
      [{ authorization: 'Bearer' }, 'malformed'],
      [{ authorization: `Bearer ${user.accessToken} extra` }, 'malformed'],
    ];
    for (const [headers, challenge] of cases) {
      const res = await api('GET', '/auth/me', { headers });
      expect(res.status).toBe(401);
      expect(res.text).toBe('{"message":"Unauthorized"}');
      expect(res.headers.get('www-authenticate')).toBe(
        challenge === 'Bearer'
          ? 'Bearer'
          : 'Bearer scope="" error="invalid_token" error_description="the token is malformed"',
      );
    }
    const inUrl = await fetch(`${url}/auth/me?access_token=${user.accessToken}`);
    expect(inUrl.status).toBe(401);
    expect(invoked).toEqual([]);
    // API Gateway's identity source takes the token with or without the "Bearer " prefix.
    expect((await api('GET', '/auth/me', { headers: { authorization: user.accessToken } })).status).toBe(200);
  });
});
