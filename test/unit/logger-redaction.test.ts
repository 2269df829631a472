import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger, REDACTED } from '#shared/logger';

/**
 * Logs realistic shapes that carry secrets (OAuth responses, HTTP requests, SDK errors, callback URLs) through
 * the real Powertools logger and scans the bytes written to stdout for every secret value.
 */
const S = {
  token: 'tok-9f8e7d6c5b4a3928',
  code: '4/0AbCdEfGhIjKlMnOpQrStUv-authcode',
  secret: 'shh-2b3c4d5e6f7a8b9c',
  password: 'Pa55w0rd!correct-horse',
  authorization: 'ya29.a0AfH6SMBbearervalue0123456789',
  refresh_token: '1//0gRefreshTokenValue-abcdef123456',
  client_secret: 'GOCSPX-client-secret-value-777',
  code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
  access_token: 'sl.BqAccessTokenDropbox-xyz987654',
  jwt: 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl',
  basic: 'Y2xpZW50LWlkOmNsaWVudC1zZWNyZXQtYmFzaWM=',
  cookie: 'session-cookie-value-31337',
  state: 'st4te-value-csrf-8d7c6b5a',
  amzToken: 'IQoJb3JpZ2luX2VjEamzsecuritytoken',
  amzSignature: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
  apiKey: 'AIzaSyApiKeyValue-123456',
  deep: 'deeply-nested-secret-value-42',
};
const ALL = Object.values(S);

let output: string[] = [];

beforeEach(() => {
  output = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  logger.setLogLevel('DEBUG');
});
afterEach(() => {
  logger.setLogLevel((process.env.LOG_LEVEL as 'WARN' | undefined) ?? 'INFO');
  logger.resetKeys();
  vi.restoreAllMocks();
});

function printed(): string {
  return output.join('');
}

function expectNoSecrets(): void {
  const text = printed();
  for (const secret of ALL) expect(text, `leaked ${secret}`).not.toContain(secret);
}

describe('log redaction', () => {
  it('the capture works: a harmless value is printed, and a secret logged in clear would be caught', () => {
    logger.warn('capture check', { harmless: 'visible-value-123' });
    expect(printed()).toContain('visible-value-123');
    expect(printed()).toContain('capture check');
    // The same kind of value under a harmless key is printed: so the scans below really look at the output.
    logger.warn('control', { note: S.deep });
    expect(printed()).toContain(S.deep);
  });

  it('redacts sensitive keys at any depth, in arrays, and whatever their case or separator', () => {
    logger.info('token exchange', {
      token: S.token,
      code: S.code,
      secret: S.secret,
      password: S.password,
      authorization: `Bearer ${S.authorization}`,
      refresh_token: S.refresh_token,
      client_secret: S.client_secret,
      code_verifier: S.code_verifier,
      nested: {
        provider: { response: { access_token: S.access_token, accessToken: S.access_token, ok: true } },
        headers: { Authorization: `Basic ${S.basic}`, Cookie: S.cookie, 'X-Api-Key': S.apiKey },
      },
      list: [{ refreshToken: S.refresh_token }, [{ 'client-secret': S.client_secret }], { STATE: S.state }],
      deep: { a: { b: { c: { d: { e: { f: { g: { h: { i: { j: { k: { l: { m: S.deep } } } } } } } } } } } } },
    });
    logger.warn('second', { Password: S.password, CODE: S.code, codeVerifier: S.code_verifier });
    expectNoSecrets();
    expect(printed()).toContain(REDACTED);
    expect(printed()).toContain('"ok":true');
  });

  it('redacts Bearer, Basic and JWT-looking strings in messages, errors and free text', () => {
    logger.error(`Graph call failed: Authorization: Bearer ${S.authorization}`);
    logger.error('id token rejected', new Error(`jwt malformed: ${S.jwt}`));
    logger.error('upstream', new Error(`401 for Basic ${S.basic} and bearer ${S.authorization}`));
    logger.warn('extra string', `sent header Bearer ${S.authorization}`);
    logger.warn({ message: `assertion ${S.jwt}`, list: [`Bearer ${S.authorization}`, S.jwt] });
    expectNoSecrets();
  });

  it('redacts secrets inside query strings, form bodies and embedded JSON', () => {
    logger.warn('callback received', {
      url: `https://app.example.test/oauth/callback?state=${S.state}&code=${S.code}&scope=drive`,
    });
    logger.error(
      'token refresh failed',
      new Error(
        `POST /token grant_type=refresh_token&refresh_token=${S.refresh_token}&client_secret=${S.client_secret}&code_verifier=${S.code_verifier} -> 400`,
      ),
    );
    logger.error('provider said', {
      body: `{"access_token":"${S.access_token}","scope":"drive.file","refresh_token": "${S.refresh_token}"}`,
    });
    logger.warn(
      `presigned https://bucket.s3.amazonaws.com/k?X-Amz-Security-Token=${S.amzToken}&X-Amz-Signature=${S.amzSignature}`,
    );
    logger.warn('password reset', {
      detail: `password=${S.password}; token=${S.token}; api_key=${S.apiKey}`,
    });
    expectNoSecrets();
    // Harmless pairs are kept: redaction is by key, not a blanket wipe.
    expect(printed()).toContain('grant_type=refresh_token');
    expect(printed()).toContain('scope=drive');
    expect(printed()).toContain('\\"scope\\":\\"drive.file\\"');
  });

  it('drops error properties that SDKs attach (request config, response data, cause)', () => {
    const sdkError = Object.assign(new Error('Request failed with status code 400'), {
      config: {
        headers: { Authorization: `Bearer ${S.authorization}` },
        data: `client_secret=${S.client_secret}`,
      },
      response: { data: { error: 'invalid_grant', refresh_token: S.refresh_token } },
      cause: new Error(`inner ${S.secret}`),
    });
    logger.error('refresh failed', sdkError);
    logger.error('wrapped', { error: sdkError, attempts: [sdkError] });
    expectNoSecrets();
    expect(printed()).toContain('Request failed with status code 400');
  });

  it('redacts persistent keys and buffers', () => {
    logger.appendKeys({ authorization: `Bearer ${S.authorization}` });
    logger.warn('with persistent keys', {
      raw: Buffer.from(S.secret),
      bytes: new Uint8Array(Buffer.from(S.token)),
    });
    expectNoSecrets();
  });
});
