import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { HttpEvent } from '#shared/http/handler';

export interface EventInput {
  method: string;
  /** The route's path template, e.g. `/competitors/{id}`. */
  routePath: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** JWT claims as API Gateway's JWT authorizer passes them (strings). */
  claims?: Record<string, string>;
}

/** An HTTP API v2 event as API Gateway sends it after its JWT authorizer accepted the token. */
export function httpEvent(input: EventInput): HttpEvent {
  let rawPath = input.routePath;
  for (const [k, v] of Object.entries(input.pathParameters ?? {})) rawPath = rawPath.replace(`{${k}}`, v);
  const now = Date.now();
  const requestId = randomUUID();
  const body = input.body === undefined ? undefined : JSON.stringify(input.body);
  const headers: Record<string, string> = { host: 'api.bench.local', 'user-agent': 'bench' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return {
    version: '2.0',
    routeKey: `${input.method} ${input.routePath}`,
    rawPath,
    rawQueryString: new URLSearchParams(input.query ?? {}).toString(),
    headers,
    ...(input.query ? { queryStringParameters: input.query } : {}),
    ...(input.pathParameters ? { pathParameters: input.pathParameters } : {}),
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '111122223333',
      apiId: 'bench',
      domainName: 'api.bench.local',
      domainPrefix: 'api',
      http: {
        method: input.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId,
      routeKey: `${input.method} ${input.routePath}`,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
      ...(input.claims ? { authorizer: { jwt: { claims: input.claims, scopes: null } } } : {}),
    },
  };
}

/** The claims a Cognito access token carries into the function (`sub` is the tenant). */
export const accessClaims = (sub: string, clientId: string): Record<string, string> => ({
  sub,
  token_use: 'access',
  client_id: clientId,
  scope: 'aws.cognito.signin.user.admin',
});

export function lambdaContext(functionName: string): Context {
  const started = Date.now();
  return {
    awsRequestId: randomUUID(),
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:111122223333:function:${functionName}`,
    memoryLimitInMB: '512',
    logGroupName: 'bench',
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, started + 29_000 - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
