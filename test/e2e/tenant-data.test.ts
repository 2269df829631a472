import { beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, useTestStack } from '../support/stack.ts';

/** The tenant data API over HTTP: local gateway, real Cognito (cognito-local) tokens, real PostgreSQL. */
describe('tenant data API over the local gateway', () => {
  const stack = useTestStack();
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    alice = await stack().createUser();
    bob = await stack().createUser();
  });

  it('serves the OpenAPI document publicly', async () => {
    const res = await stack().api<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      '/openapi.json',
    );
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/competitors', '/competitors/{id}', '/brand-strategy', '/audit-log']),
    );
  });

  it('runs a competitor through create, list, patch and delete, and keeps it from another user', async () => {
    const { api } = stack();
    const created = await api<{ id: string; name: string; strengths: string[] }>('POST', '/competitors', {
      token: alice.accessToken,
      body: { name: 'Acme', strengths: ['price'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Acme', strengths: ['price'], website: null });
    const id = created.body.id;

    const duplicate = await api('POST', '/competitors', { token: alice.accessToken, body: { name: 'ACME' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.headers.get('content-type')).toBe('application/problem+json');
    expect(
      (await api('POST', '/competitors', { token: bob.accessToken, body: { name: 'acme' } })).status,
    ).toBe(201);

    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { notes: 'mine now' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await api(method, `/competitors/${id}`, { token: bob.accessToken, body });
      expect(res.status).toBe(404);
    }
    const bobList = await api<{ items: Array<{ id: string }> }>('GET', '/competitors', {
      token: bob.accessToken,
    });
    expect(bobList.body.items.map((c) => c.id)).not.toContain(id);

    const patched = await api('PATCH', `/competitors/${id}`, {
      token: alice.accessToken,
      body: { website: 'https://acme.example' },
    });
    expect(patched).toMatchObject({
      status: 200,
      body: { id, website: 'https://acme.example', notes: null },
    });
    const list = await api<{ items: Array<{ id: string }>; nextCursor: string | null }>(
      'GET',
      '/competitors?limit=10',
      { token: alice.accessToken },
    );
    expect(list.body).toEqual({ items: [patched.body], nextCursor: null });

    const deleted = await api('DELETE', `/competitors/${id}`, { token: alice.accessToken });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await api('GET', `/competitors/${id}`, { token: alice.accessToken })).status).toBe(404);

    const audit = await api<{ items: Array<{ action: string; resourceId: string }> }>('GET', '/audit-log', {
      token: alice.accessToken,
    });
    expect(audit.body.items.filter((e) => e.resourceId === id).map((e) => e.action)).toEqual([
      'competitor.deleted',
      'competitor.updated',
      'competitor.created',
    ]);
  });

  it('refuses references to another user’s content with 422', async () => {
    const { api } = stack();
    const theirs = await api<{ id: string }>('POST', '/content', {
      token: bob.accessToken,
      body: { title: 'Bob post', contentType: 'blog_post' },
    });
    const entry = await api<{ errors: Array<{ path: string }> }>('POST', '/content-calendar', {
      token: alice.accessToken,
      body: { contentId: theirs.body.id, channel: 'linkedin', scheduledFor: '2030-01-01T09:00:00Z' },
    });
    expect(entry.status).toBe(422);
    expect(entry.body.errors).toEqual([expect.objectContaining({ path: 'contentId' })]);
    const post = await api('POST', '/published-posts', {
      token: alice.accessToken,
      body: { contentId: theirs.body.id, channel: 'blog', publishedAt: '2030-01-01T09:00:00Z' },
    });
    expect(post.status).toBe(422);
  });

  it('versions the brand strategy', async () => {
    const { api } = stack();
    expect((await api('GET', '/brand-strategy', { token: alice.accessToken })).status).toBe(404);
    const v1 = await api('PUT', '/brand-strategy', { token: alice.accessToken, body: { mission: 'One' } });
    const v2 = await api('PUT', '/brand-assets', {
      token: alice.accessToken,
      body: { brandColors: ['#112233'] },
    });
    expect(v1).toMatchObject({ status: 200, body: { version: 1, mission: 'One' } });
    expect(v2.body).toEqual({ brandColors: ['#112233'], brandFonts: [], logoUrl: null });
    const latest = await api('GET', '/brand-strategy', { token: alice.accessToken });
    expect(latest.body).toMatchObject({ version: 2, mission: 'One', brandColors: ['#112233'] });
    const history = await api<{ items: Array<{ version: number }> }>('GET', '/brand-strategy/history', {
      token: alice.accessToken,
    });
    expect(history.body.items.map((v) => v.version)).toEqual([2, 1]);
    expect((await api('GET', '/brand-strategy', { token: bob.accessToken })).status).toBe(404);
  });

  it('answers shape problems in the contract’s order', async () => {
    const { api } = stack();
    const token = alice.accessToken;
    expect((await api('POST', '/competitors', { body: { name: 'x' } })).status).toBe(401);
    const wrongType = await api('POST', '/competitors', {
      token,
      raw: '{"name":"x"}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(wrongType.status).toBe(415);
    const huge = await api('POST', '/competitors', {
      token,
      raw: JSON.stringify({ name: 'x'.repeat(3 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.status).toBe(413);
    const malformed = await api('POST', '/competitors', {
      token,
      raw: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    const unknown = await api<{ errors: Array<{ path: string }> }>('POST', '/competitors', {
      token,
      body: { name: 'Valid', userId: bob.userId },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors.map((e) => e.path)).toEqual(['userId']);
    expect((await api('GET', '/competitors/not-a-uuid', { token })).status).toBe(400);
    expect((await api('GET', '/competitors?cursor=bogus', { token })).status).toBe(400);
    expect((await api('PATCH', `/competitors/${bob.userId}`, { token, body: {} })).status).toBe(400);
  });
});
