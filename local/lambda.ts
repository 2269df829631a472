/**
 * The Lambda side of running functions outside AWS: the API Gateway HTTP API v2 event, the Lambda context and
 * the invocation itself. The local gateway, the in-process schedule, the tests and the bench all build their
 * events and invoke their handlers here, so there is one picture of what API Gateway and Lambda hand a function.
 */
import { randomUUID } from 'node:crypto';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type JobKey, jobs } from '#functions/jobs';
import { type WorkerKey, workers } from '#functions/workers';
import type { HttpEvent } from '#shared/http/handler';

export interface HttpApiRequest {
  method: string;
  /** The route's path template (`/competitors/{id}`), API Gateway's route key. */
  routePath: string;
  pathParameters?: Record<string, string>;
  /** The path as requested; by default the template with the path parameters filled in. */
  rawPath?: string;
  /** Decoded query parameters, repeated ones joined with commas (as API Gateway does). */
  query?: Record<string, string>;
  /** The query string as sent; by default built from `query`. */
  rawQueryString?: string;
  /** Header names in lower case, as API Gateway passes them. */
  headers?: Record<string, string>;
  /** The body as API Gateway passes it: text, or base64 with `isBase64Encoded`. */
  body?: string;
  isBase64Encoded?: boolean;
  /** The JWT authorizer's claims of the accepted token; absent on public routes. */
  claims?: Record<string, unknown>;
  requestId?: string;
  sourceIp?: string;
  protocol?: string;
  /** The API's host name (local or test stand-ins name theirs). */
  domainName?: string;
  /** When API Gateway received the request (epoch ms); now by default. */
  timeEpoch?: number;
}

/** API Gateway hands JWT claims to the function as strings (arrays flattened as `[a b]`), so this does too. */
function asApiGatewayClaims(claims: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(' ')}]` : String(v)]),
  );
}

/** The HTTP API (payload format 2.0) event API Gateway sends a function after its JWT authorizer accepted. */
export function httpApiEvent(request: HttpApiRequest): HttpEvent {
  const rawPath =
    request.rawPath ??
    request.routePath.replace(
      /\{(\w+)\}/g,
      (_, name: string) => request.pathParameters?.[name] ?? `{${name}}`,
    );
  const query = request.query && Object.keys(request.query).length > 0 ? request.query : undefined;
  const headers = request.headers ?? {};
  const time = request.timeEpoch ?? Date.now();
  const routeKey = `${request.method} ${request.routePath}`;
  const domainName = request.domainName ?? headers.host ?? 'localhost';
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: request.rawQueryString ?? new URLSearchParams(query ?? {}).toString(),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    ...(request.pathParameters && Object.keys(request.pathParameters).length > 0
      ? { pathParameters: request.pathParameters }
      : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
    isBase64Encoded: request.isBase64Encoded ?? false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: request.method,
        path: rawPath,
        protocol: request.protocol ?? 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: request.requestId ?? randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(time).toISOString(),
      timeEpoch: time,
      ...(request.claims
        ? { authorizer: { jwt: { claims: asApiGatewayClaims(request.claims), scopes: null } } }
        : {}),
    },
  };
}

/** A JSON request body with its content type, for `httpApiEvent`. */
export function jsonBody(value: unknown): Pick<HttpApiRequest, 'body' | 'headers'> {
  return { body: JSON.stringify(value), headers: { 'content-type': 'application/json' } };
}

/** The claims a Cognito access token carries into the function (`sub` is the tenant). */
export const accessClaims = (sub: string, clientId: string): Record<string, string> => ({
  sub,
  token_use: 'access',
  client_id: clientId,
  scope: 'aws.cognito.signin.user.admin',
});

/** The Lambda context of one invocation: its remaining time counts down from the function's timeout. */
export function lambdaContext(options: {
  functionName: string;
  timeoutSeconds: number;
  requestId?: string;
  memoryMb?: number;
}): Context {
  const started = Date.now();
  const name = options.functionName.replace(/[^A-Za-z0-9_-]+/g, '-');
  return {
    awsRequestId: options.requestId ?? randomUUID(),
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: String(options.memoryMb ?? 512),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, started + options.timeoutSeconds * 1000 - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

let invokeStore: Promise<InvokeStoreBase> | undefined;

/**
 * Runs one invocation the way the Lambda runtime does when one environment serves several invocations at once
 * (Lambda Managed Instances): inside its own InvokeStore scope, with `AWS_LAMBDA_MAX_CONCURRENCY` set so
 * Powertools keeps each invocation's log keys, Lambda context and metrics apart. Locally that is the truth: the
 * gateway, the scheduled job and the tests run many invocations concurrently in one process.
 */
export async function invoke<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  event: E,
  context: Context,
): Promise<R> {
  invokeStore ??= InvokeStore.getInstanceAsync(true).then((store) => {
    // Only once the store exists: Powertools refuses to log with the variable set and no store.
    process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '64';
    return store;
  });
  const store = await invokeStore;
  return store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, () =>
    handler(event, context),
  );
}

/**
 * One run of a scheduled job (functions/jobs.ts), as its EventBridge rule would start it: the job's own handler,
 * a context counting down from the job's timeout, its own invocation scope.
 */
export async function invokeJob(key: JobKey): Promise<unknown> {
  const job = jobs[key];
  const entry = new URL(`../functions/${key}.ts`, import.meta.url).href;
  const { handler } = (await import(/* @vite-ignore */ entry)) as {
    handler: (event: unknown, context: Context) => Promise<unknown>;
  };
  const event = {
    source: 'aws.events',
    'detail-type': 'Scheduled Event',
    time: new Date().toISOString(),
    detail: {},
  };
  return invoke(
    handler,
    event,
    lambdaContext({ functionName: key, timeoutSeconds: job.timeoutSeconds, memoryMb: job.memoryMb }),
  );
}

/**
 * One invocation of a queue worker (functions/workers.ts), as its SQS event source mapping would start it: the
 * worker's own handler with the batch, a context counting down from the worker's timeout, its own scope.
 */
export async function invokeWorker(key: WorkerKey, event: SQSEvent): Promise<SQSBatchResponse> {
  const worker = workers[key];
  const entry = new URL(`../functions/${key}.ts`, import.meta.url).href;
  const { handler } = (await import(/* @vite-ignore */ entry)) as {
    handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  };
  return invoke(
    handler,
    event,
    lambdaContext({ functionName: key, timeoutSeconds: worker.timeoutSeconds, memoryMb: worker.memoryMb }),
  );
}
