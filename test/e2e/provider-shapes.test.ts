import { afterEach, describe, expect, it } from 'vitest';
import type { Provider } from '#shared/providers/types';
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
