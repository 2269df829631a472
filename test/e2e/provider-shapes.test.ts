import { afterEach, describe, expect, it } from 'vitest';
import type { CloudFile, Provider } from '#shared/providers/types';
import { connectProvider, storedConnection } from '../support/connect.ts';
import { type TestStack, type TestUser, useTestStack } from '../support/stack.ts';

/** connect → consent → our callback → the frontend redirect (confirm ticket, or the error reason). */
async function connectThroughCallback(stack: TestStack, user: TestUser, provider: Provider) {
  const connect = await stack.api<{ authorizationUrl: string }>('GET', `/cloud-storage/connect/${provider}`, {
    token: user.accessToken,
  });
  expect(connect.status).toBe(200);
  const callbackUrl = await stack.sandbox!.control.consent(connect.body.authorizationUrl, {
    decision: 'allow',
  });
  const res = await fetch(`${stack.url}${callbackUrl.pathname}${callbackUrl.search}`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!).searchParams;
}

async function confirm(stack: TestStack, user: TestUser, provider: Provider, ticket: string) {
  return stack.api<{ status: string; scopes: string[] }>(
    'POST',
    `/cloud-storage/connections/${provider}/confirm`,
    {
      token: user.accessToken,
      body: { ticket },
    },
  );
}

describe('token responses in the shapes providers really send (issue 22)', () => {
  const stack = useTestStack();
  afterEach(() => stack().sandbox!.control.reset());

  for (const shape of ['qualified', 'qualified_lowercase', 'short'] as const) {
    it(`OneDrive connects when the granted scopes come ${shape}`, async () => {
      const s = stack();
      s.sandbox!.control.configure('onedrive', { scopeShape: shape });
      const user = await s.createUser();
      const redirect = await connectThroughCallback(s, user, 'onedrive');
      expect(redirect.get('cloud_connect')).toBe('confirm');
      // What the provider answered is what the fake was told to answer: the knob is exercised, not only present.
      const granted = s.sandbox!.control.lastTokenRequest('onedrive')!;
      expect(granted.status).toBe(200);
      const confirmed = await confirm(s, user, 'onedrive', redirect.get('ticket')!);
      expect(confirmed.status).toBe(200);
      expect(confirmed.body.status).toBe('active');
      const expected = {
        qualified: 'https://graph.microsoft.com/Files.Read',
        qualified_lowercase: 'https://graph.microsoft.com/files.read',
        short: 'Files.Read',
      }[shape];
      expect(confirmed.body.scopes).toContain(expected);
    });
  }

  it('OneDrive still refuses a grant without Files.Read, whatever its spelling', async () => {
    const s = stack();
    s.sandbox!.control.configure('onedrive', {
      scopeShape: 'qualified_lowercase',
      withheldScopes: ['Files.Read'],
    });
    const user = await s.createUser();
    const redirect = await connectThroughCallback(s, user, 'onedrive');
    expect(redirect.get('cloud_connect')).toBe('error');
    expect(redirect.get('reason')).toBe('access_denied');
  });

  it('Google answers normalised scopes (userinfo.email) and an id_token; the connection is active', async () => {
    const s = stack();
    const user = await s.createUser();
    const redirect = await connectThroughCallback(s, user, 'google_drive');
    expect(redirect.get('cloud_connect')).toBe('confirm');
    const confirmed = await confirm(s, user, 'google_drive', redirect.get('ticket')!);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.scopes).toContain('https://www.googleapis.com/auth/userinfo.email');
    expect(confirmed.body.scopes).not.toContain('email');
  });
});

describe('refresh responses and file metadata in the shapes providers really send (issue 22, finding 10)', () => {
  const stack = useTestStack();
  afterEach(() => stack().sandbox!.control.reset());

  it('a Dropbox refresh answers only access_token, token_type, expires_in: the stored refresh token and scopes are kept', async () => {
    const s = stack();
    expect(s.sandbox!.control.behaviour('dropbox').minimalRefreshResponse).toBe(true);
    const user = await s.createUser();
    await connectProvider(s, user, 'dropbox');
    const before = (await storedConnection(s, user.userId, 'dropbox'))!;
    expect(before.tokens.scope).toContain('files.content.read');
    s.sandbox!.control.expireAccessTokens('dropbox');
    const refreshes = s.sandbox!.control.tokenCalls('dropbox', 'refresh_token');

    const list = await s.api('GET', '/cloud-storage/connections/dropbox/files', { token: user.accessToken });
    expect(list.status).toBe(200);
    expect(s.sandbox!.control.tokenCalls('dropbox', 'refresh_token')).toBe(refreshes + 1);
    const after = (await storedConnection(s, user.userId, 'dropbox'))!;
    expect(after.tokens.accessToken).not.toBe(before.tokens.accessToken);
    expect(after.tokens.refreshToken).toBe(before.tokens.refreshToken);
    expect(after.tokens.scope).toBe(before.tokens.scope);
    const connections = await s.api<{ connections: Array<{ scopes: string[]; status: string }> }>(
      'GET',
      '/cloud-storage/connections',
      { token: user.accessToken },
    );
    expect(connections.body.connections[0]).toMatchObject({
      status: 'active',
      scopes: expect.arrayContaining(['files.metadata.read', 'files.content.read']),
    });
  });

  it('Drive reports a size for Google Docs (their storage): listed Docs have no size, files keep theirs', async () => {
    const s = stack();
    expect(s.sandbox!.control.behaviour('google_drive').docsReportSize).toBe(true);
    const user = await s.createUser();
    await connectProvider(s, user, 'google_drive');
    const list = await s.api<{ files: CloudFile[] }>('GET', '/cloud-storage/connections/google_drive/files', {
      token: user.accessToken,
    });
    expect(list.status).toBe(200);
    const byName = new Map(list.body.files.map((f) => [f.name, f]));
    expect(byName.get('Meeting notes')).toMatchObject({
      mimeType: 'application/vnd.google-apps.document',
      size: null,
    });
    expect(byName.get('readme.txt')?.size).toBe('Hello from the provider sandbox.\n'.length);
  });
});
