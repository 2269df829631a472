import { afterEach, describe, expect, it } from 'vitest';
import { type ApiResponse, useTestStack } from '../support/stack.ts';

/**
 * Issue 15 over HTTP, where every answer is also checked against the OpenAPI document (the stack's contract
 * check): per-user rate limits answer a declared 429 problem with Retry-After.
 */
interface Problem {
  type: string;
  status: number;
  errors?: Array<{ path: string; message: string }>;
}

describe('security hardening over HTTP (sandbox providers)', () => {
  const stack = useTestStack();
  afterEach(() => {
    delete process.env.RATE_LIMIT_UPLOAD;
    delete process.env.RATE_LIMIT_CONNECT;
  });

  const expectRateLimited = (res: ApiResponse<Problem>) => {
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.type).toBe('urn:brand-cloud:problem:rate-limited');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  };

  it('upload starts over the per-user limit → 429 rate-limited with Retry-After, no asset created', async () => {
    process.env.RATE_LIMIT_UPLOAD = '2/60';
    const user = await stack().createUser();
    const start = () =>
      stack().api<Problem>('POST', '/brand-voice-assets/uploads', {
        token: user.accessToken,
        body: {
          title: 'Guide',
          category: 'brand_guidelines',
          fileName: 'g.pdf',
          contentType: 'application/pdf',
          size: 10,
        },
      });
    expect((await start()).status).toBe(201);
    expect((await start()).status).toBe(201);
    expectRateLimited(await start());
    const list = await stack().api<{ items: unknown[] }>('GET', '/brand-voice-assets', {
      token: user.accessToken,
    });
    expect(list.body.items).toHaveLength(2);
    const other = await stack().createUser();
    expect(
      (
        await stack().api('POST', '/brand-voice-assets/uploads', {
          token: other.accessToken,
          body: { title: 'G', category: 'other', fileName: 'g.txt', contentType: 'text/plain', size: 1 },
        })
      ).status,
    ).toBe(201);
  });

  it('connect over the per-user limit → 429 rate-limited with Retry-After', async () => {
    process.env.RATE_LIMIT_CONNECT = '1/60';
    const user = await stack().createUser();
    const connect = () =>
      stack().api<Problem>('GET', '/cloud-storage/connect/dropbox', { token: user.accessToken });
    expect((await connect()).status).toBe(200);
    expectRateLimited(await connect());
  });
});
