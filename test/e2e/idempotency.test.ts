import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, useTestStack } from '../support/stack.ts';

/**
 * Issue 21, finding 4: `Idempotency-Key` on mutating routes, over the local gateway with real Cognito tokens and
 * PostgreSQL. A retry with the same key and body returns the first response without writing again; the same
 * key with another body is a 422; concurrent requests with one key make one write; keys are per user.
 */
describe('Idempotency-Key', () => {
  const stack = useTestStack();
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    alice = await stack().createUser();
    bob = await stack().createUser();
  });

  const post = (user: TestUser, path: string, body: unknown, key?: string) =>
    stack().api<{ id: string; title?: string; name?: string }>('POST', path, {
      token: user.accessToken,
      body,
      ...(key ? { headers: { 'idempotency-key': key } } : {}),
    });

  const contentTitles = async (user: TestUser) => {
    const res = await stack().api<{ items: Array<{ title: string }> }>('GET', '/content?limit=100', {
      token: user.accessToken,
    });
    expect(res.status).toBe(200);
    return res.body.items.map((i) => i.title);
  };

  it('the same key and body twice: one row, the first response (status and body) both times', async () => {
    const key = randomUUID();
    const body = { title: `once-${key}`, contentType: 'blog_post', body: 'Hello' };

    const first = await post(alice, '/content', body, key);
    const second = await post(alice, '/content', body, key);

    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect((await contentTitles(alice)).filter((t) => t === body.title)).toHaveLength(1);
    // Without a key the same body is simply another write.
    expect((await post(alice, '/content', body)).status).toBe(201);
    expect((await contentTitles(alice)).filter((t) => t === body.title)).toHaveLength(2);
  });

  it('a retry of a create that would now conflict still returns the first 201', async () => {
    const key = randomUUID();
    const body = { name: `Acme ${key}` };
    const first = await post(alice, '/competitors', body, key);
    expect(first.status).toBe(201);
    expect((await post(alice, '/competitors', body)).status).toBe(409);

    const retry = await post(alice, '/competitors', body, key);

    expect(retry.status).toBe(201);
    expect(retry.text).toBe(first.text);
  });

  it('the same key with a different body → 422 naming the header, nothing written', async () => {
    const key = randomUUID();
    const first = await post(alice, '/content', { title: `a-${key}`, contentType: 'blog_post' }, key);
    expect(first.status).toBe(201);

    const other = await post(alice, '/content', { title: `b-${key}`, contentType: 'blog_post' }, key);

    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    expect(other.body).toMatchObject({ errors: [{ path: 'Idempotency-Key' }] });
    expect(await contentTitles(alice)).not.toContain(`b-${key}`);
  });

  it('concurrent requests with one key: one write, every answer the same', async () => {
    const key = randomUUID();
    const body = { title: `race-${key}`, contentType: 'social_post' };

    const answers = await Promise.all(Array.from({ length: 10 }, () => post(alice, '/content', body, key)));

    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect((await contentTitles(alice)).filter((t) => t === body.title)).toHaveLength(1);
  });

  it('keys are per user: the same key in another user’s requests is another write', async () => {
    const key = randomUUID();
    const body = { title: `shared-key-${key}`, contentType: 'blog_post' };

    const mine = await post(alice, '/content', body, key);
    const theirs = await post(bob, '/content', body, key);

    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect((await contentTitles(bob)).filter((t) => t === body.title)).toHaveLength(1);
    // And a different body under that key is still fine for bob: the 422 is within one user's keys.
    expect((await post(bob, '/content', { ...body, title: 'other' }, randomUUID())).status).toBe(201);
  });

  it('the key is stored only with a committed write: a failed attempt leaves the key unused', async () => {
    const key = randomUUID();
    const name = `Globex ${key}`;
    const existing = await post(alice, '/competitors', { name });
    expect(existing.status).toBe(201);

    const refused = await post(alice, '/competitors', { name }, key);
    expect(refused.status).toBe(409);
    const removed = await stack().api('DELETE', `/competitors/${existing.body.id}`, {
      token: alice.accessToken,
    });
    expect(removed.status).toBe(204);

    const retry = await post(alice, '/competitors', { name }, key);
    expect(retry.status).toBe(201);
    expect(retry.body.id).not.toBe(existing.body.id);
  });

  it('PATCH and DELETE replay too: a repeated delete with its key is the first 204, not a 404', async () => {
    const created = await post(alice, '/content', {
      title: `gone-${randomUUID()}`,
      contentType: 'blog_post',
    });
    const key = randomUUID();
    const del = (k?: string) =>
      stack().api('DELETE', `/content/${created.body.id}`, {
        token: alice.accessToken,
        ...(k ? { headers: { 'idempotency-key': k } } : {}),
      });

    expect((await del(key)).status).toBe(204);
    expect((await del(key)).status).toBe(204);
    expect((await del()).status).toBe(404);

    const competitor = await post(alice, '/competitors', { name: `Patch ${randomUUID()}` });
    const patchKey = randomUUID();
    const patch = (name: string) =>
      stack().api('PATCH', `/competitors/${competitor.body.id}`, {
        token: alice.accessToken,
        body: { name },
        headers: { 'idempotency-key': patchKey },
      });
    const first = await patch('Renamed once');
    expect(first.status).toBe(200);
    expect((await patch('Renamed once')).text).toBe(first.text);
    expect((await patch('Renamed twice')).status).toBe(422);
  });

  it('a malformed key → 400 naming the header, nothing written', async () => {
    const title = `bad-key-${randomUUID()}`;
    for (const key of ['x'.repeat(256), 'with space', 'tab\tkey']) {
      const res = await stack().api<{ errors?: Array<{ path: string }> }>('POST', '/content', {
        token: alice.accessToken,
        body: { title, contentType: 'blog_post' },
        headers: { 'idempotency-key': key },
      });
      expect(res.status).toBe(400);
      expect(res.body.errors?.[0]?.path).toBe('Idempotency-Key');
    }
    expect(await contentTitles(alice)).not.toContain(title);
  });

  it('is documented in the OpenAPI document on every mutating authenticated route', async () => {
    const doc = await stack().api<{
      paths: Record<
        string,
        Record<string, { parameters?: Array<{ name: string; in: string }>; security?: unknown }>
      >;
    }>('GET', '/openapi.json');
    let mutating = 0;
    for (const [path, operations] of Object.entries(doc.body.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const authenticated = Array.isArray(op.security) && op.security.length > 0;
        if (method === 'get' || !authenticated) continue;
        mutating += 1;
        expect(
          op.parameters?.some((p) => p.name === 'Idempotency-Key' && p.in === 'header'),
          `${method.toUpperCase()} ${path}`,
        ).toBe(true);
      }
    }
    expect(mutating).toBeGreaterThan(10);
  });
});
