import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { FAILURE_CODES } from '#shared/documents/failure';
import { PROBLEM_TYPES } from '#shared/http/openapi';
import { buildWebApp } from '../../web/build.ts';
import { ASSET_FAILURES, PROBLEM_MESSAGES, toProblem } from '../../web/src/api/problems.ts';

const out = path.join(os.tmpdir(), `brand-web-${process.pid}`);
afterAll(() => rm(out, { recursive: true, force: true }));

describe('web app', () => {
  it('has plain words for every reason a document can fail (WEB.md: no silent failures)', () => {
    for (const code of FAILURE_CODES) expect(ASSET_FAILURES[code], code).toBeTruthy();
  });

  it('has plain words for every problem type the API can answer', () => {
    for (const slug of Object.keys(PROBLEM_TYPES)) expect(PROBLEM_MESSAGES[slug], slug).toBeTruthy();
    const problem = toProblem(
      400,
      {
        type: 'urn:brand-cloud:problem:validation-error',
        title: 'Invalid request',
        status: 400,
        detail: 'The request body is invalid.',
        requestId: 'r-1',
        errors: [{ path: 'name', message: 'name is required' }],
      },
      new Headers(),
    );
    expect(problem.message).toBe('Some fields need attention.');
    expect(problem.fields).toEqual({ name: 'name is required' });
    const limited = toProblem(429, { message: 'Too Many Requests' }, new Headers({ 'retry-after': '7' }));
    expect(limited.message).toBe('Too many requests right now. Wait a moment and try again (retry in 7 s)');
  });

  it('builds to static files within the JavaScript budget (≤ 100 KB gzip), with no inline script', async () => {
    const built = await buildWebApp(out, 'https://api.example.com');
    const script = await readFile(path.join(out, built.files.find((f) => f.endsWith('.js'))!));
    expect(gzipSync(script).length).toBeLessThanOrEqual(100 * 1024);
    const html = await readFile(path.join(out, 'index.html'), 'utf8');
    expect(html).toMatch(/<script type="module" src="\/assets\/app-[A-Z0-9]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script>|<script type="module">|style=/);
    expect(JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8'))).toEqual({
      apiUrl: 'https://api.example.com',
    });
  });
});
