import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import type { WebBuild } from '../web/build.ts';
import { APP_PAGES, contentSecurityPolicy, OTHER_SECURITY_HEADERS } from '../web/security-headers.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

/**
 * The built web app as pages of the local gateway: its files, and index.html for each of the app's own paths
 * (what CloudFront's SPA fallback does in AWS), with the same security headers. The document store and the
 * sandbox run on loopback ports, so the local CSP lets the app reach loopback origins.
 */
export async function webAppPages(
  build: WebBuild,
): Promise<Record<string, (url: URL, res: http.ServerResponse) => void>> {
  const headers = {
    ...OTHER_SECURITY_HEADERS,
    'content-security-policy': contentSecurityPolicy(['http://127.0.0.1:*', 'http://localhost:*']),
  };
  const pages: Record<string, (url: URL, res: http.ServerResponse) => void> = {};
  const serve = (body: Buffer, type: string, cache: string) => (_url: URL, res: http.ServerResponse) => {
    res.writeHead(200, { ...headers, 'content-type': type, 'cache-control': cache });
    res.end(body);
  };
  for (const file of build.files) {
    const body = await readFile(path.join(build.dir, file));
    const immutable = file.startsWith('/assets/');
    pages[file] = serve(
      body,
      TYPES[path.extname(file)] ?? 'application/octet-stream',
      immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
  }
  const index = await readFile(path.join(build.dir, 'index.html'));
  for (const page of APP_PAGES) pages[page] = serve(index, TYPES['.html']!, 'no-cache');
  return pages;
}
