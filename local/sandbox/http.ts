import type http from 'node:http';

/** Plenty for consent forms, token requests and RPC bodies; the fakes never accept uploads. */
const MAX_BODY = 1024 * 1024;

export type Req = http.IncomingMessage;
export type Res = http.ServerResponse;

/** One request as the provider modules see it. */
export interface RequestContext {
  req: Req;
  res: Res;
  method: string;
  url: URL;
  /** The sandbox's own origin, e.g. `https://127.0.0.1:43123`. */
  origin: string;
  body: () => Promise<Buffer>;
}

export type RouteHandler = (ctx: RequestContext, match: RegExpExecArray) => Promise<void> | void;

export interface Route {
  method: string | string[];
  pattern: RegExp;
  handler: RouteHandler;
}

export function readBody(req: Req): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(
  res: Res,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': payload.length,
    ...headers,
  });
  res.end(payload);
}

export function sendText(
  res: Res,
  status: number,
  text: string,
  headers: Record<string, string | number> = {},
): void {
  const payload = Buffer.from(text);
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': payload.length,
    ...headers,
  });
  res.end(payload);
}

export function sendBytes(
  res: Res,
  status: number,
  bytes: Buffer,
  headers: Record<string, string | number>,
): void {
  res.writeHead(status, { 'content-length': bytes.length, ...headers });
  res.end(bytes);
}

export function sendHtml(res: Res, status: number, html: string): void {
  const payload = Buffer.from(html);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': payload.length,
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    // No form-action: browsers apply it to the redirect after the form, which leaves for the app's callback.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  });
  res.end(payload);
}

export function redirect(res: Res, location: string, status = 302): void {
  res.writeHead(status, { location, 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}

/** The bearer token from the Authorization header; tokens in the URL are deliberately never looked at. */
export function bearerToken(req: Req): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/** RFC 6749 §2.3.1: HTTP Basic with form-urlencoded id and secret. */
export function basicCredentials(req: Req): { id: string; secret: string } | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

export function isFormBody(req: Req): boolean {
  return /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
