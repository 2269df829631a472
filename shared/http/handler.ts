import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod/mini';
import {
  BadRequest,
  type FieldError,
  HttpProblem,
  MalformedJson,
  PayloadTooLarge,
  Unauthorized,
  UnsupportedMediaType,
} from '#shared/errors';
import { MAX_BODY_DEPTH, tooDeep } from '#shared/json';
import { logger, redact } from '#shared/logger';
import { plainMessage } from './messages.ts';
import { HttpResponse } from './response.ts';
import type { RouteDef } from './route.ts';

export const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** Kept free at the end of the function's time for the last database write and the response. */
export const RESPONSE_RESERVE_MS = 1_500;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;.*)?$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The HTTP API v2 event with the JWT authorizer's claims, as API Gateway (and the local gateway) send it. */
export type HttpEvent = APIGatewayProxyEventV2 & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: { jwt?: { claims?: Record<string, unknown>; scopes?: string[] | null } };
  };
};
export type HttpResult = APIGatewayProxyStructuredResultV2;

type Out<T> = T extends z.core.$ZodType ? z.output<T> : undefined;

export interface HandlerInput<R extends RouteDef> {
  /** The caller's id: the validated Cognito `sub`. The only source of the tenant. */
  userId: R['auth'] extends 'jwt' ? string : undefined;
  claims: Record<string, unknown>;
  /** The bearer token as sent (JWT routes only); used only to call Cognito on the user's behalf. */
  accessToken: string | undefined;
  body: Out<R['body']>;
  query: Out<R['query']>;
  params: Out<R['params']>;
  requestId: string;
  /**
   * Epoch ms by which the handler's work must be over: this invocation's remaining time
   * (`context.getRemainingTimeInMillis()`) minus a reserve for the response. Work that can run long (provider
   * calls) stops starting attempts before it.
   */
  deadline: number;
  /** The `Idempotency-Key` header as sent (shared/http/idempotency.ts validates and honours it). */
  idempotencyKey: string | undefined;
}

/** The request as the middlewares leave it on middy's `request.context`, for the handler. */
export interface RequestInput {
  requestId: string;
  deadline: number;
  userId?: string;
  claims: Record<string, unknown>;
  accessToken?: string;
  body?: unknown;
  query?: unknown;
  params?: unknown;
}

/** The Lambda context, carrying the validated input from the middlewares to the handler. */
export type HttpContext = Context & { input?: RequestInput };

type Req = middy.Request<HttpEvent, HttpResult, Error, HttpContext>;
type Middleware = middy.MiddlewareObj<HttpEvent, HttpResult, Error, HttpContext>;

/** The input the first middleware put on the context (present for every middleware after it). */
const inputOf = (request: Req): RequestInput => request.context.input!;

function zodErrors(error: z.core.$ZodError, prefix?: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const base = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '');
    // Unknown keys are reported one per key so every offending field is named.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...base, key].join('.'), message: 'Unknown field' }));
    }
    return [{ path: base.join('.'), message: issue.message }];
  });
}

function validate<S extends z.core.$ZodType>(
  schema: S,
  value: unknown,
  prefix: string | undefined,
  what: string,
): z.output<S> {
  let result: z.core.util.SafeParseResult<z.output<S>>;
  try {
    result = z.safeParse(schema, value, { error: plainMessage });
  } catch (error) {
    // A validator that throws (a stack overflow, a refinement bug) is still the input's fault: 400, never 500.
    logger.warn('Validator threw', { what, errorName: (error as Error)?.name });
    throw new BadRequest(`The ${what} could not be validated.`, [{ path: prefix ?? '', message: 'Invalid' }]);
  }
  if (!result.success) throw new BadRequest(`The ${what} is invalid.`, zodErrors(result.error, prefix));
  return result.data;
}

function header(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
}

/**
 * Request id, deadline and the per-request log keys (Powertools' `injectLambdaContext` before it removes them
 * again after every invocation, so no line of the next request carries them).
 */
const requestScope = (route: RouteDef): Middleware => ({
  before: (request: Req) => {
    const { event, context } = request;
    const requestId = event.requestContext?.requestId ?? context.awsRequestId ?? crypto.randomUUID();
    const deadline = Date.now() + context.getRemainingTimeInMillis() - RESPONSE_RESERVE_MS;
    context.input = { requestId, deadline, claims: {} };
    logger.appendKeys({ requestId, route: `${route.method} ${route.path}` });
  },
});

/**
 * The JWT authorizer (API Gateway in AWS, the local gateway locally) has already verified signature, issuer,
 * audience and expiry. The authorizer's audience check also accepts a Cognito ID token, so the access-token
 * check happens here as well, and the tenant is taken from `sub` and nowhere else.
 */
const authenticate = (route: RouteDef): Middleware => ({
  before: (request: Req) => {
    if (route.auth !== 'jwt') return;
    const claims = request.event.requestContext?.authorizer?.jwt?.claims;
    if (!claims || typeof claims !== 'object') throw new Unauthorized();
    if (claims.token_use !== 'access') throw new Unauthorized('An access token is required.');
    const expectedClient = process.env.COGNITO_CLIENT_ID;
    if (expectedClient && claims.client_id !== expectedClient) throw new Unauthorized();
    if (typeof claims.sub !== 'string' || !UUID.test(claims.sub)) throw new Unauthorized();
    const input = inputOf(request);
    input.userId = claims.sub.toLowerCase();
    input.claims = claims;
    input.accessToken = header(request.event, 'authorization')?.replace(/^Bearer\s+/i, '');
    logger.appendKeys({ userId: input.userId });
  },
});

/** 415 → 413 → 400 (malformed JSON, schema): every bad field is listed, nothing runs on bad input. */
const parseInput = (route: RouteDef): Middleware => ({
  before: (request: Req) => {
    const { event } = request;
    const input = inputOf(request);
    if (route.body) {
      const raw = event.body ?? '';
      const hasBody = raw.length > 0;
      if (hasBody && !JSON_MEDIA_TYPE.test(header(event, 'content-type') ?? ''))
        throw new UnsupportedMediaType();
      const bytes = Buffer.byteLength(raw, event.isBase64Encoded ? 'base64' : 'utf8');
      if (bytes > (route.maxBodyBytes ?? MAX_BODY_BYTES))
        throw new PayloadTooLarge(
          route.maxBodyBytes ? `The request body exceeds ${route.maxBodyBytes / 1048576} MiB.` : undefined,
        );
      let json: unknown;
      if (hasBody) {
        const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
        try {
          json = JSON.parse(text);
        } catch {
          throw new MalformedJson();
        }
      }
      // Bounded before zod runs: its object and array parsers recurse.
      const deep = tooDeep(json);
      if (deep) {
        throw new BadRequest('The request body is nested too deeply.', [
          { path: String(deep[0] ?? ''), message: `Must be nested at most ${MAX_BODY_DEPTH} levels deep` },
        ]);
      }
      input.body = validate(route.body, json, undefined, 'request body');
    }
    const query = event.queryStringParameters ?? {};
    if (route.query) input.query = validate(route.query, query, undefined, 'query string');
    else if (Object.keys(query).length > 0) {
      throw new BadRequest(
        'This route takes no query parameters.',
        Object.keys(query).map((key) => ({ path: key, message: 'Unknown query parameter' })),
      );
    }
    if (route.params) input.params = validate(route.params, event.pathParameters ?? {}, undefined, 'path');
  },
});

const BASE_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

export function problemResponse(problem: HttpProblem, requestId: string): HttpResult {
  return {
    statusCode: problem.status,
    headers: {
      ...BASE_HEADERS,
      ...problem.headers,
      'content-type': 'application/problem+json',
      'x-request-id': requestId,
    },
    body: JSON.stringify({
      type: problem.type,
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      requestId,
      ...(problem.errors ? { errors: problem.errors } : {}),
      ...problem.extensions,
    }),
  };
}

/** Typed errors become problem+json; anything else is logged (redacted) and answered with a bare 500. */
const problemErrors = (): Middleware => ({
  onError: (request: Req) => {
    const requestId = request.context.input?.requestId ?? request.context.awsRequestId ?? 'unknown';
    const error = request.error;
    let problem: HttpProblem;
    if (error instanceof HttpProblem) {
      problem = error;
      // Typed 5xx (database or provider unavailable) are expected operational states: warn, without a stack.
      if (problem.status >= 500)
        logger.warn('Request failed', { status: problem.status, type: problem.type });
    } else {
      logger.error('Unhandled error', { error: redact(error) });
      problem = new HttpProblem(500, 'internal-error', 'Internal server error', {
        detail: 'An unexpected error occurred.',
      });
    }
    request.response = problemResponse(problem, requestId);
  },
});

function toResult(route: RouteDef, result: unknown, requestId: string): HttpResult {
  if (result instanceof HttpResponse) {
    return {
      statusCode: result.statusCode,
      headers: {
        ...BASE_HEADERS,
        ...(result.body === undefined ? {} : { 'content-type': 'application/json' }),
        'x-request-id': requestId,
        ...result.headers,
      },
      ...(result.body === undefined ? {} : { body: JSON.stringify(result.body) }),
    };
  }
  if (route.responseKind === 'empty') {
    return { statusCode: route.status, headers: { ...BASE_HEADERS, 'x-request-id': requestId } };
  }
  return {
    statusCode: route.status,
    headers: { ...BASE_HEADERS, 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify(result),
  };
}

/** What a route's handler is: typed, validated input in, the route's result out. */
export type RouteHandler<R extends RouteDef> = (input: HandlerInput<R>) => Promise<unknown>;

/**
 * The one middy stack for HTTP functions, middleware first and the handler last: Powertools' Lambda context and
 * per-request key reset → request scope → authentication → input parsing → handler, with the problem+json error
 * handler registered last (its `onError` runs first). The validated input travels on `request.context`.
 * Functions compose it in functions/define-handler.ts; nothing here knows which routes exist.
 */
export function httpHandler<R extends RouteDef>(route: R, fn: RouteHandler<R>) {
  const core = async (event: HttpEvent, context: HttpContext): Promise<HttpResult> => {
    const input = context.input!;
    const result = await fn({
      userId: input.userId as HandlerInput<R>['userId'],
      claims: input.claims,
      accessToken: input.accessToken,
      body: input.body as HandlerInput<R>['body'],
      query: input.query as HandlerInput<R>['query'],
      params: input.params as HandlerInput<R>['params'],
      requestId: input.requestId,
      deadline: input.deadline,
      idempotencyKey: header(event, 'idempotency-key'),
    });
    return toResult(route, result, input.requestId);
  };
  const handler = middy<HttpEvent, HttpResult, Error, HttpContext>(core)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(requestScope(route))
    .use(authenticate(route))
    .use(parseInput(route))
    .use(problemErrors());
  return Object.assign(handler, { route });
}
