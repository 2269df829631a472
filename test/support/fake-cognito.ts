import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback Cognito user-pool endpoint (the JSON 1.1 protocol the SDK and our GetUser fetch speak) for the
 * outcomes cognito-local cannot produce on demand: a revoked or disabled user's token (NotAuthorizedException),
 * a user deleted behind our back (UserNotFoundException), an outage. It keeps a small user store, so a test
 * can prove that no sign-up is left behind, and records every call.
 */
export interface FakeCognitoCall {
  operation: string;
  body: Record<string, unknown>;
}

export interface FakeCognito {
  endpoint: string;
  calls: FakeCognitoCall[];
  count(operation: string): number;
  /** Users by username (the email), with their sub and attributes. */
  users: Map<string, { sub: string; attributes: Array<{ Name: string; Value: string }> }>;
  /** Answers the next calls of `operation` with this Cognito exception (until `clear`). */
  fail(operation: string, exception: string, status?: number): void;
  /** GetUser returns these attributes (a user whose `name` was written by another client, say). */
  setGetUserAttributes(attributes: Array<{ Name: string; Value: string }>): void;
  clear(): void;
  close(): Promise<void>;
}

export async function startFakeCognito(): Promise<FakeCognito> {
  const calls: FakeCognitoCall[] = [];
  const users: FakeCognito['users'] = new Map();
  const failures = new Map<string, { exception: string; status: number }>();
  let getUserAttributes: Array<{ Name: string; Value: string }> = [
    { Name: 'email', Value: 'someone@example.test' },
    { Name: 'name', Value: 'Someone' },
  ];

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    SignUp(body) {
      const username = String(body.Username);
      if (users.has(username)) throw Object.assign(new Error('exists'), { type: 'UsernameExistsException' });
      const sub = randomUUID();
      users.set(username, { sub, attributes: (body.UserAttributes as never) ?? [] });
      return { UserSub: sub, UserConfirmed: false };
    },
    AdminDeleteUser(body) {
      if (!users.delete(String(body.Username)))
        throw Object.assign(new Error('missing'), { type: 'UserNotFoundException' });
      return {};
    },
    GetUser: () => ({ Username: 'someone', UserAttributes: getUserAttributes }),
    DeleteUser: () => ({}),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').replace(
        /^AWSCognitoIdentityProviderService\./,
        '',
      );
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        // recorded as an empty body
      }
      calls.push({ operation, body });
      let status = 200;
      let answer: unknown;
      const failure = failures.get(operation);
      try {
        if (failure)
          throw Object.assign(new Error('injected'), { type: failure.exception, status: failure.status });
        const fn = operations[operation];
        if (!fn) throw Object.assign(new Error('unsupported'), { type: 'InvalidParameterException' });
        answer = fn(body);
      } catch (error) {
        const e = error as { type: string; status?: number; message: string };
        status = e.status ?? 400;
        answer = { __type: e.type, message: e.message };
      }
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
        ...(status === 200 ? {} : { 'x-amzn-errortype': (answer as { __type: string }).__type }),
      });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/`,
    calls,
    users,
    count: (operation) => calls.filter((c) => c.operation === operation).length,
    fail(operation, exception, status = 400) {
      failures.set(operation, { exception, status });
    },
    setGetUserAttributes(attributes) {
      getUserAttributes = attributes;
    },
    clear() {
      failures.clear();
      calls.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
