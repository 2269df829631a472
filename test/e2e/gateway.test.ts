import { describe, expect, it } from 'vitest';
import { useTestStack } from '../support/stack.ts';

describe('local gateway and HTTP stack', () => {
  const stack = useTestStack();

  it('GET /health answers 200 over HTTP', async () => {
    const res = await stack().api<{ status: string }>('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("unknown routes are API Gateway's own 404 (test/e2e/gateway-fidelity.test.ts has the other gateway answers)", async () => {
    const res = await stack().api<{ status: number }>('GET', '/no-such-route');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.text).toBe('{"message":"Not Found"}');
  });

  it('malformed JSON → 400, wrong content type → 415, 3 MiB body → 413, all problem+json, nothing written', async () => {
    const { api } = stack();
    const malformed = await api<{ type: string; status: number; requestId: string }>(
      'POST',
      '/auth/register',
      {
        raw: '{"email": "a@b.c", ',
        headers: { 'content-type': 'application/json' },
      },
    );
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ status: 400, type: expect.stringMatching(/malformed-json$/) });
    expect(malformed.body.requestId).toBeTruthy();

    const wrongType = await api('POST', '/auth/register', {
      raw: 'email=a@b.c',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.headers.get('content-type')).toContain('application/problem+json');

    const huge = JSON.stringify({ email: 'a@b.c', password: 'x', name: 'y'.repeat(3 * 1024 * 1024) });
    const tooLarge = await api('POST', '/auth/register', {
      raw: huge,
      headers: { 'content-type': 'application/json' },
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('content-type')).toContain('application/problem+json');

    const schema = await api<{ errors: Array<{ path: string }> }>('POST', '/auth/register', {
      body: { email: 'nope' },
    });
    expect(schema.status).toBe(400);
    expect(schema.body.errors.map((e) => e.path).sort()).toEqual(['email', 'name', 'password']);
  });

  it('a route without query parameters refuses unknown ones', async () => {
    const res = await stack().api<{ errors: Array<{ path: string }> }>('GET', '/health?user_id=x');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'user_id', message: 'Unknown query parameter' }]);
  });
});
