import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { routeEntries } from '#functions/routes';
import { HttpProblem, PayloadTooLarge, Unauthorized } from '#shared/errors';
import { type HttpEvent, type HttpResult, problemResponse } from '#shared/http/handler';
import { ROUTE_DEFAULTS, type RouteDef } from '#shared/http/route';
import { logger } from '#shared/logger';
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

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_MAX_BODY) {
        reject(new PayloadTooLarge('The request body exceeds the gateway limit.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface GatewayOptions {
  verifyBearer: BearerVerifier;
  /** Loads a function's handler by route key; defaults to importing `functions/<key>.ts`. */
  loadHandler?: (key: string) => Promise<LambdaHandler>;
  /** Extra routes for tests (e.g. a probe route); same shape as the route table. */
  extraRoutes?: Array<[string, RouteDef, LambdaHandler]>;
  onInvoke?: (routeKey: string) => void;
  /** Non-API pages the local server also answers (the stand-in frontend dashboard of `npm start`). */
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
      const candidates = table.filter((r) => r.pattern.test(url.pathname));
      const route = candidates.find((r) => r.def.method === method);
      if (!route) {
        send(
          problemResponse(
            new HttpProblem(404, 'not-found', 'Not found', { detail: 'No such route.' }),
            requestId,
          ),
        );
        return;
      }
      const match = route.pattern.exec(url.pathname)!;
      const pathParameters = Object.fromEntries(
        route.paramNames.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]),
      );
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
      }
      let claims: Record<string, unknown> | undefined;
      if (route.def.auth === 'jwt') {
        try {
          claims = await options.verifyBearer(headers.authorization);
        } catch {
          // Like API Gateway's authorizer: no function runs for a request it refuses.
          send(problemResponse(new Unauthorized(), requestId));
          return;
        }
      }
      const raw = await readBody(req);
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
