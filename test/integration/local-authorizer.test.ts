import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COGNITO_ACCESS_SCOPE, createLocalAuthorizer } from '#local/authorizer';
import type { BearerVerifier } from '#local/gateway';
import { cognitoLocalPrivateKey, signRs256 } from '../support/jwt.ts';

const require = createRequire(import.meta.url);
const publicJwk = (require('cognito-local/lib/keys/cognitoLocal.public.json') as { jwk: object }).jwk;

describe('local JWT authorizer: JWKS cache', () => {
  let server: http.Server;
  let fetches = 0;
  let verify: BearerVerifier;
  const issuer = 'http://127.0.0.1:1/local_Pool';
  const clientId = 'client-123';

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    verify = await createLocalAuthorizer({
      issuer,
      jwksUri,
      clientId,
      requiredScopes: [COGNITO_ACCESS_SCOPE],
    });
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const token = (kid: string) => {
    const now = Math.floor(Date.now() / 1000);
    return signRs256(
      {
        sub: crypto.randomUUID(),
        iss: issuer,
        client_id: clientId,
        token_use: 'access',
        scope: COGNITO_ACCESS_SCOPE,
        iat: now,
        exp: now + 600,
      },
      { kid },
      cognitoLocalPrivateKey,
    );
  };

  it('verifies a valid token from the cached keys', async () => {
    await expect(verify(`Bearer ${token('CognitoLocal')}`)).resolves.toMatchObject({ token_use: 'access' });
  });

  it('a burst of unknown kids causes at most one JWKS fetch per cooldown', async () => {
    const before = fetches;
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, (_, i) => verify(`Bearer ${token(`evil-${i % 3}`)}`)),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(fetches - before).toBeLessThanOrEqual(1);
  });

  it('keeps verifying with cached keys when the JWKS endpoint is down', async () => {
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
    await expect(verify(`Bearer ${token('CognitoLocal')}`)).resolves.toMatchObject({ client_id: clientId });
    server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
});
