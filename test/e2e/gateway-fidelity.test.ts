/**
 * The local gateway answers as API Gateway's HTTP API does before any function runs, byte for byte (status,
 * body, content type, `www-authenticate`), and what functions answer stays problem+json.
 *
 * AWS documents the authorizer's answer in "Troubleshooting issues with HTTP API JWT authorizers":
 *   HTTP/1.1 401 Unauthorized, Content-Length: 26,
 *   www-authenticate: Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"
 *   {"message":"Unauthorized"}
 * The gateway's other answers have the same shape, `{"message":"<reason phrase>"}` as application/json.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { cognitoLocalPrivateKey, decodePart, signRs256 } from '../support/jwt.ts';
import { useTestStack } from '../support/stack.ts';

const invoked: string[] = [];

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request exactly as given (path not normalised, body streamed chunked when `chunked`). */
function raw(
  base: string,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: Buffer;
    chunked?: boolean;
  },
): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname, port, method: options.method ?? 'GET', path: options.path, headers: options.headers ?? {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (options.body && options.chunked) {
      // No content-length: the gateway learns the size only while reading.
      const chunk = 1024 * 1024;
      for (let i = 0; i < options.body.length; i += chunk) req.write(options.body.subarray(i, i + chunk));
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

const UNAUTHORIZED = '{"message":"Unauthorized"}';

describe("the local gateway's own answers match API Gateway's", () => {
  const stack = useTestStack({ onInvoke: (key) => invoked.push(key) });

  it('JWT authorizer: 401 {"message":"Unauthorized"} with the reason in www-authenticate, as AWS documents it', async () => {
    const { url, createUser } = stack();
    const user = await createUser();
    const access = decodePart(user.accessToken, 1);
    const header = decodePart(user.accessToken, 0);
    const sign = (patch: Record<string, unknown>) =>
      signRs256({ ...access, ...patch }, header, cognitoLocalPrivateKey);
    invoked.length = 0;

    const wrongAudience = await raw(url, {
      path: '/auth/me',
      headers: { authorization: `Bearer ${sign({ client_id: 'another-app-client' })}` },
    });
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.body).toBe(UNAUTHORIZED);
    expect(wrongAudience.headers['content-length']).toBe('26');
    expect(wrongAudience.headers['content-type']).toBe('application/json');
    expect(wrongAudience.headers['www-authenticate']).toBe(
      'Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"',
    );
    expect(wrongAudience.headers['apigw-requestid']).toBeTruthy();

    // A token without `exp` is refused (API Gateway requires exp to be in the future).
    const noExp = await raw(url, {
      path: '/auth/me',
      headers: { authorization: `Bearer ${sign({ exp: undefined })}` },
    });
    expect(noExp.status).toBe(401);
    expect(noExp.body).toBe(UNAUTHORIZED);
    expect(noExp.headers['www-authenticate']).toBe(
      'Bearer scope="" error="invalid_token" error_description="the token does not have an expiration time"',
    );

    const expired = await raw(url, {
      path: '/auth/me',
      headers: { authorization: `Bearer ${sign({ exp: Math.floor(Date.now() / 1000) - 60 })}` },
    });
    expect(expired.status).toBe(401);
    expect(expired.body).toBe(UNAUTHORIZED);
    expect(expired.headers['www-authenticate']).toBe(
      'Bearer scope="" error="invalid_token" error_description="the token has expired"',
    );

    const none = await raw(url, { path: '/auth/me' });
    expect(none.status).toBe(401);
    expect(none.body).toBe(UNAUTHORIZED);
    expect(invoked).toEqual([]);
  });

  it('an unknown route or method: 404 {"message":"Not Found"}, no function runs', async () => {
    const { url } = stack();
    invoked.length = 0;
    for (const [method, path] of [
      ['GET', '/no-such-route'],
      ['PUT', '/health'],
      ['DELETE', '/auth/login'],
      ['GET', '/health/'],
    ] as const) {
      const res = await raw(url, { method, path });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body).toBe('{"message":"Not Found"}');
      expect(res.headers['content-type']).toBe('application/json');
    }
    expect(invoked).toEqual([]);
  });

  it('a body over 10 MB: 413 {"message":"Request Entity Too Large"}, answered (not a reset connection)', async () => {
    const { url } = stack();
    invoked.length = 0;
    const body = Buffer.alloc(10 * 1024 * 1024 + 1, 'a');
    for (const chunked of [false, true]) {
      const res = await raw(url, {
        method: 'POST',
        path: '/auth/login',
        headers: { 'content-type': 'application/json' },
        body,
        chunked,
      });
      expect(res.status, chunked ? 'chunked' : 'content-length').toBe(413);
      expect(res.body).toBe('{"message":"Request Entity Too Large"}');
      expect(res.headers['content-type']).toBe('application/json');
    }
    expect(invoked).toEqual([]);
  });

  it('malformed percent-encoding in the path: 400 {"message":"Bad Request"}, not a 502', async () => {
    const { url } = stack();
    invoked.length = 0;
    for (const path of [
      '/cloud-storage/callback/%zz',
      '/cloud-storage/callback/%',
      '/cloud-storage/callback/%E0%A4%A',
    ]) {
      const res = await raw(url, { path });
      expect(res.status, path).toBe(400);
      expect(res.body).toBe('{"message":"Bad Request"}');
      expect(res.headers['content-type']).toBe('application/json');
    }
    expect(invoked).toEqual([]);
  });

  it('a function\'s own 401 is problem+json with WWW-Authenticate: Bearer error="invalid_token", error_description=…', async () => {
    const { api, createUser } = stack();
    const user = await createUser();
    const res = await api<{ type: string; detail: string }>('POST', '/auth/login', {
      body: { email: user.email, password: `${user.password}-wrong` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.type).toMatch(/unauthorized$/);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer error="invalid_token", error_description="${res.body.detail}"`,
    );
  });

  it("local Cognito: the login's expiresIn is the access token's real lifetime (an hour, as the AWS client)", async () => {
    const { api, createUser } = stack();
    const user = await createUser();
    const login = await api<{ accessToken: string; expiresIn: number }>('POST', '/auth/login', {
      body: { email: user.email, password: user.password },
    });
    const claims = decodePart(login.body.accessToken, 1) as { exp: number; iat: number };
    expect(login.body.expiresIn).toBe(claims.exp - claims.iat);
    expect(login.body.expiresIn).toBe(3600);
  });
});
