import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { routeEntries } from '#functions/routes';
import { HttpProblem } from '#shared/errors';
import { type HttpEvent, type HttpResult, problemResponse } from '#shared/http/handler';
import { ROUTE_DEFAULTS, type RouteDef } from '#shared/http/route';
import { logger } from '#shared/logger';
import { AuthorizerRejection } from './authorizer.ts';
import { httpApiEvent, invoke, lambdaContext } from './lambda.ts';

/** Verifies a bearer token exactly as the API Gateway JWT authorizer would and returns its claims. */
export type BearerVerifier = (authorization: string | undefined) => Promise<Record<string, unknown>>;
type LambdaHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

interface CompiledRoute {
  key: string;
  def: RouteDef;
  pattern: RegExp;
  paramNames: string[];
  specificity: number;
}

/** API Gateway's own payload limit; the functions enforce the API's 2 MiB limit themselves. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

function compile(key: string, def: RouteDef): CompiledRoute {
  const paramNames: string[] = [];
  const source = def.path
    .split('/')
    .map((segment) => {
      const m = /^\{(\w+)\}$/.exec(segment);
      if (!m) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      paramNames.push(m[1]!);
      return '([^/]+)';
    })
    .join('/');
  // Static segments win over parameters, as in API Gateway.
  return { key, def, pattern: new RegExp(`^${source}$`), paramNames, specificity: -paramNames.length };
}

function isTextual(contentType: string | undefined): boolean {
  return (
    !contentType ||
    /^(text\/|application\/([\w.-]+\+)?(json|xml)|application\/x-www-form-urlencoded)/i.test(contentType)
  );
}

/** The body was over API Gateway's 10 MB: read to the end (so the client hears the answer) and dropped. */
class BodyTooLarge extends Error {}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= GATEWAY_MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () =>
      size > GATEWAY_MAX_BODY ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

/**
 * API Gateway's own answers, given before (or instead of) any function: `{"message":"<reason phrase>"}` as
 * application/json, with its request id header. Only what a function answers is problem+json.
 */
export function gatewayAnswer(
  status: 400 | 401 | 404 | 413 | 500,
  requestId: string,
  headers: Record<string, string> = {},
): HttpResult {
  const message = {
    400: 'Bad Request',
    401: 'Unauthorized',
    404: 'Not Found',
    413: 'Request Entity Too Large',
    500: 'Internal Server Error',
  }[status];
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', 'apigw-requestid': requestId, ...headers },
    body: JSON.stringify({ message }),
  };
}

/**
 * The JWT authorizer's `www-authenticate`, laid out as AWS documents it
 * (`Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"`);
 * a request without any token gets the bare challenge.
 */
export function authorizerChallenge(description: string | undefined): string {
  return description === undefined
    ? 'Bearer'
    : `Bearer scope="" error="invalid_token" error_description="${description.replace(/["\\]/g, '')}"`;
}

export interface GatewayOptions {
  verifyBearer: BearerVerifier;
  /** Loads a function's handler by route key; defaults to importing `functions/<key>.ts`. */
  loadHandler?: (key: string) => Promise<LambdaHandler>;
  /** Extra routes for tests (e.g. a probe route); same shape as the route table. */
  extraRoutes?: Array<[string, RouteDef, LambdaHandler]>;
  onInvoke?: (routeKey: string) => void;
  /** Non-API pages the local server also answers (the built web app of `npm start` and the browser tests). */
  pages?: Record<string, (url: URL, res: http.ServerResponse) => void>;
}

/**
 * The local stand-in for API Gateway (HTTP API): matches the route table, runs the JWT authorizer on `jwt`
 * routes, turns the request into an HTTP API v2 event and invokes the same handler Lambda would run.
 */
export function createGateway(options: GatewayOptions): http.Server {
  const extra = new Map((options.extraRoutes ?? []).map(([key, , handler]) => [key, handler]));
  const table = [...routeEntries(), ...(options.extraRoutes ?? []).map(([k, d]) => [k, d] as const)]
    .map(([key, def]) => compile(key, def))
    .sort((a, b) => b.specificity - a.specificity);
  const handlers = new Map<string, Promise<LambdaHandler>>();
  const load =
    options.loadHandler ??
    (async (key: string) => {
      const entry = new URL(`../functions/${key}.ts`, import.meta.url).href;
      return ((await import(/* @vite-ignore */ entry)) as { handler: LambdaHandler }).handler;
    });
  const handlerFor = (key: string): Promise<LambdaHandler> => {
    const fromExtra = extra.get(key);
    if (fromExtra) return Promise.resolve(fromExtra);
    let h = handlers.get(key);
    if (!h) {
      h = load(key);
      handlers.set(key, h);
    }
    return h;
  };

  return http.createServer(async (req, res) => {
    const requestId = randomUUID();
    const send = (result: HttpResult) => {
      const headers = { ...(result.headers ?? {}) } as Record<string, string>;
      const body =
        result.body === undefined
          ? undefined
          : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
      if (result.cookies?.length) res.setHeader('set-cookie', result.cookies);
      // Like API Gateway: a length, not chunked transfer.
      headers['content-length'] = String(body?.length ?? 0);
      res.writeHead(result.statusCode ?? 200, headers);
      res.end(body);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = (req.method ?? 'GET').toUpperCase();
      const page = method === 'GET' ? options.pages?.[url.pathname] : undefined;
      if (page) {
        page(url, res);
        return;
      }
      // Over 10 MB by its declared length: refused before anything else, as API Gateway does.
      if (Number(req.headers['content-length'] ?? 0) > GATEWAY_MAX_BODY) {
        req.resume();
        req.once('end', () => send(gatewayAnswer(413, requestId)));
        return;
      }
      const candidates = table.filter((r) => r.pattern.test(url.pathname));
      const route = candidates.find((r) => r.def.method === method);
      if (!route) {
        // An unknown route or method: API Gateway's own 404, no function runs.
        send(gatewayAnswer(404, requestId));
        return;
      }
      const match = route.pattern.exec(url.pathname)!;
      let pathParameters: Record<string, string>;
      try {
        pathParameters = Object.fromEntries(
          route.paramNames.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]),
        );
      } catch {
        // Malformed percent-encoding (`%zz`, a lone `%`, invalid UTF-8) never reaches a function.
        send(gatewayAnswer(400, requestId));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
      }
      let claims: Record<string, unknown> | undefined;
      if (route.def.auth === 'jwt') {
        try {
          claims = await options.verifyBearer(headers.authorization);
        } catch (error) {
          // Like API Gateway's authorizer: no function runs for a request it refuses, and it says why.
          const description =
            error instanceof AuthorizerRejection ? error.description : 'the token is malformed';
          send(gatewayAnswer(401, requestId, { 'www-authenticate': authorizerChallenge(description) }));
          return;
        }
      }
      let raw: Buffer;
      try {
        raw = await readBody(req);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        send(gatewayAnswer(413, requestId));
        return;
      }
      const textual = isTextual(headers['content-type']);
      const query: Record<string, string> = {};
      for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key).join(',');
      const event = httpApiEvent({
        method,
        routePath: route.def.path,
        pathParameters,
        rawPath: url.pathname,
        query,
        rawQueryString: url.search.slice(1),
        headers,
        ...(raw.length ? { body: textual ? raw.toString('utf8') : raw.toString('base64') } : {}),
        isBase64Encoded: raw.length > 0 && !textual,
        ...(claims ? { claims } : {}),
        requestId,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        protocol: `HTTP/${req.httpVersion}`,
      });
      // The function's own timeout, as Lambda counts it down (API Gateway's 30 s cap is above every route's).
      const context = lambdaContext({
        functionName: route.key,
        timeoutSeconds: route.def.timeoutSeconds ?? ROUTE_DEFAULTS.timeoutSeconds,
        memoryMb: route.def.memoryMb ?? ROUTE_DEFAULTS.memoryMb,
        requestId,
      });
      const handler = await handlerFor(route.key);
      options.onInvoke?.(route.key);
      send(await invoke(handler, event, context));
    } catch (error) {
      if (error instanceof HttpProblem) {
        send(problemResponse(error, requestId));
        return;
      }
      logger.error('Local gateway failure', { error });
      send(
        problemResponse(
          new HttpProblem(502, 'bad-gateway', 'Bad gateway', { detail: 'The function failed.' }),
          requestId,
        ),
      );
    }
  });
}

export function listen(server: http.Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
