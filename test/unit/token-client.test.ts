import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { createSandboxCertificate, trustSandboxCertificate } from '#local/sandbox/index';
import { ProviderError } from '#shared/providers/errors';
import { refreshAccessToken } from '#shared/providers/token-client';

/**
 * The token client over node:https against a token endpoint on loopback that misbehaves on demand: the
 * connection is kept alive across requests, and an answer that is too large, cut off or too slow is a
 * transient failure that quotes nothing of the request.
 */
type Answer = (res: import('node:http').ServerResponse) => void;
let answer: Answer;
let server: https.Server;
let connections = 0;
let untrust: () => void;
const forms: URLSearchParams[] = [];

beforeAll(async () => {
  const cert = await createSandboxCertificate();
  untrust = trustSandboxCertificate(cert.caPem);
  server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      forms.push(new URLSearchParams(Buffer.concat(chunks).toString()));
      answer(res);
    });
  });
  server.on('secureConnection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  untrust();
});
beforeEach(() => {
  const { port } = server.address() as AddressInfo;
  const tokenUrl = `https://localhost:${port}/token`;
  const endpoints = { tokenUrl, authorizeUrl: tokenUrl, revokeUrl: tokenUrl };
  vi.stubEnv(
    'PROVIDER_ENDPOINTS',
    JSON.stringify({ google_drive: endpoints, onedrive: endpoints, dropbox: endpoints }),
  );
  vi.stubEnv('PROVIDER_SECRET_ARN', undefined);
  vi.stubEnv('DROPBOX_APP_KEY', 'app-key');
  vi.stubEnv('DROPBOX_APP_SECRET', 'app-secret-value');
  answer = (res) => json(res, 200, { access_token: 'at-new', token_type: 'bearer', expires_in: 14400 });
  forms.length = 0;
});
afterEach(() => vi.unstubAllEnvs());

function json(res: import('node:http').ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  const message = (error as Error).message;
  for (const secret of ['rt-secret', 'app-secret-value']) expect(message).not.toContain(secret);
  return error as ProviderError;
}

it('posts the form with the client credentials and reuses one TLS connection across requests', async () => {
  const before = connections;
  for (let i = 0; i < 3; i++) {
    expect(await refreshAccessToken('dropbox', `rt-secret-${i}`)).toEqual({
      accessToken: 'at-new',
      tokenType: 'bearer',
      expiresIn: 14400,
    });
  }
  expect(forms.map((f) => Object.fromEntries(f))).toEqual(
    [0, 1, 2].map((i) => ({
      grant_type: 'refresh_token',
      refresh_token: `rt-secret-${i}`,
      client_id: 'app-key',
      client_secret: 'app-secret-value',
    })),
  );
  expect(connections - before).toBe(1);
});

it('classifies error answers from their status, error and Retry-After header', async () => {
  answer = (res) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
    res.end('{"error":"too_many_requests"}');
  };
  expect(await failure(refreshAccessToken('dropbox', 'rt-secret'))).toMatchObject({
    kind: 'rate_limited',
    retryAfterSeconds: 7,
  });
  answer = (res) => json(res, 400, { error: 'invalid_grant' });
  expect(await failure(refreshAccessToken('dropbox', 'rt-secret'))).toMatchObject({ kind: 'reauth' });
  answer = (res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>not json</html>');
  };
  expect(await failure(refreshAccessToken('dropbox', 'rt-secret'))).toMatchObject({ kind: 'transient' });
});

it('stops reading an answer larger than any token response: a transient failure', async () => {
  answer = (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"access_token":"${'x'.repeat(300 * 1024)}"}`);
  };
  const error = await failure(refreshAccessToken('dropbox', 'rt-secret'));
  expect(error).toMatchObject({ kind: 'transient', options: { status: 502 } });
});

it('an answer cut off mid-body is a network failure, one past the deadline a timeout', async () => {
  answer = (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"access_token":"at-');
    setTimeout(() => res.socket?.destroy(), 20);
  };
  expect(await failure(refreshAccessToken('dropbox', 'rt-secret'))).toMatchObject({
    kind: 'transient',
    code: 'network',
  });

  vi.stubEnv('PROVIDER_TOKEN_TIMEOUT_MS', '300');
  answer = (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"access_token":"at-');
    setTimeout(() => res.end('late"}'), 1_000);
  };
  const started = Date.now();
  expect(await failure(refreshAccessToken('dropbox', 'rt-secret'))).toMatchObject({
    kind: 'transient',
    code: 'timeout',
  });
  expect(Date.now() - started).toBeLessThan(900);
});
