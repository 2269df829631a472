import { describe, expect, it } from 'vitest';
import { defineHandler } from '#functions/define-handler';
import { routes } from '#functions/routes';
import { httpApiEvent, jsonBody, lambdaContext } from '#local/lambda';

/** Bad input is answered with plain, per-field words, never zod's default wording; no handler runs. */
describe('validation messages', () => {
  let ran = 0;
  const handler = defineHandler(routes['competitors/create'], async () => {
    ran++;
    return {};
  });
  const call = async (body: unknown) => {
    const result = await handler(
      httpApiEvent({
        method: 'POST',
        routePath: '/competitors',
        ...jsonBody(body),
        claims: { token_use: 'access', sub: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f' },
      }),
      lambdaContext({ functionName: 'competitors/create', timeoutSeconds: 10 }),
    );
    return { status: result.statusCode, body: JSON.parse(result.body!) };
  };

  it('names a missing field and states limits in words', async () => {
    expect((await call({})).body.errors).toEqual([{ path: 'name', message: 'name is required' }]);
    expect((await call({ name: 'x'.repeat(201) })).body.errors).toEqual([
      { path: 'name', message: 'must be at most 200 characters' },
    ]);
    const many = await call({ name: 5, website: 'ftp://x', strengths: 'no', surprise: 1 });
    expect(many.status).toBe(400);
    expect(many.body.detail).toBe('The request body is invalid.');
    expect(many.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'name', message: 'must be text' },
        { path: 'strengths', message: 'must be a list' },
        { path: 'surprise', message: 'Unknown field' },
      ]),
    );
    for (const error of many.body.errors)
      expect(error.message).not.toMatch(/Invalid input|expected|received/);
    expect(ran).toBe(0);
  });
});
