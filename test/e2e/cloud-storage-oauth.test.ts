import { describe, expect, it } from 'vitest';
import { insertPendingConnection } from '#shared/cloud-storage/connection-store';
import { sha256 } from '#shared/cloud-storage/oauth/one-time';
import { withTenant } from '#shared/db/tenant';
import { PROVIDERS, type Provider } from '#shared/providers/types';
import { tokenVault } from '#shared/vault/token-vault';
import { withClient } from '../support/db.ts';
import { type TestStack, type TestUser, useTestStack } from '../support/stack.ts';

interface Connection {
  provider: Provider;
  status: string;
  accountId: string;
  accountEmail: string | null;
  scopes: string[];
}

/** connect → the authorization URL → the sandbox consent page → the provider's redirect to our callback. */
async function authorize(
  stack: TestStack,
  user: TestUser,
  provider: Provider,
  decision: 'allow' | 'deny' = 'allow',
) {
  const connect = await stack.api<{ authorizationUrl: string; expiresAt: string }>(
    'GET',
    `/cloud-storage/connect/${provider}`,
    {
      token: user.accessToken,
    },
  );
  expect(connect.status).toBe(200);
  const callbackUrl = await stack.sandbox!.control.consent(connect.body.authorizationUrl, { decision });
  return { authorizationUrl: new URL(connect.body.authorizationUrl), callbackUrl };
}

/** Follows the provider's redirect to our callback; returns the frontend redirect target. */
async function followCallback(stack: TestStack, callbackUrl: URL) {
  const res = await fetch(`${stack.url}${callbackUrl.pathname}${callbackUrl.search}`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('cache-control')).toBe('no-store');
  return new URL(res.headers.get('location')!);
}

async function storedRows(stack: TestStack, userId: string) {
  return withClient(stack.db.appUrl, async (c) => {
    await c.query('begin');
    await c.query("select set_config('app.user_id', $1, true)", [userId]);
    const tokens = await c.query('select * from user_cloud_storage_tokens');
    const pending = await c.query('select * from pending_cloud_connections');
    await c.query('commit');
    return { tokens: tokens.rows, pending: pending.rows };
  });
}

describe('OAuth connections (sandbox providers)', () => {
  const stack = useTestStack();

  for (const provider of PROVIDERS) {
    it(`full flow for ${provider}: connect → consent → callback → confirm → listed → disconnect (revoked)`, async () => {
      const s = stack();
      const user = await s.createUser();
      const { authorizationUrl, callbackUrl } = await authorize(s, user, provider);

      // The authorization request: code flow, S256 PKCE, exact redirect URI, offline access.
      const q = authorizationUrl.searchParams;
      expect(q.get('response_type')).toBe('code');
      expect(q.get('code_challenge_method')).toBe('S256');
      expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(q.get('redirect_uri')).toBe(`${s.url}/cloud-storage/callback/${provider}`);
      const offline = {
        google_drive: ['access_type', 'offline'],
        onedrive: ['scope', 'offline_access'],
        dropbox: ['token_access_type', 'offline'],
      }[provider];
      expect(q.get(offline[0]!)).toContain(offline[1]);

      const target = await followCallback(s, callbackUrl);
      expect(target.origin + target.pathname).toBe(`${process.env.FRONTEND_URL}/dashboard`);
      expect(target.searchParams.get('cloud_connect')).toBe('confirm');
      expect(target.searchParams.get('provider')).toBe(provider);
      const ticket = target.searchParams.get('ticket')!;
      expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);

      // The token request carried the verifier and the same redirect URI.
      const tokenRequest = s.sandbox!.control.lastTokenRequest(provider)!;
      expect(tokenRequest.params.code_verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
      expect(tokenRequest.params.redirect_uri).toBe(q.get('redirect_uri'));

      const confirmed = await s.api<Connection>('POST', `/cloud-storage/connections/${provider}/confirm`, {
        token: user.accessToken,
        body: { ticket },
      });
      expect(confirmed.status).toBe(200);
      const account = s.sandbox!.control.account(provider);
      expect(confirmed.body).toMatchObject({
        provider,
        status: 'active',
        accountId: account.id,
        accountEmail: account.email,
      });

      const list = await s.api<{ connections: Connection[] }>('GET', '/cloud-storage/connections', {
        token: user.accessToken,
      });
      expect(list.body.connections.map((c) => [c.provider, c.accountEmail])).toEqual([
        [provider, account.email],
      ]);
      const me = await s.api<{ connections: Connection[] }>('GET', '/auth/me', { token: user.accessToken });
      expect(me.body.connections).toHaveLength(1);

      // Only ciphertext is stored; no token appears in any response.
      const rows = await storedRows(s, user.userId);
      expect(rows.tokens).toHaveLength(1);
      const sealedRow = rows.tokens[0];
      const tokens = await tokenVault.open(
        { ciphertext: sealedRow.tokens_ciphertext, keyVersion: sealedRow.key_version },
        { userId: user.userId, provider },
      );
      expect(tokens.refreshToken).toBeTruthy();
      const raw = `${JSON.stringify(sealedRow)} ${sealedRow.tokens_ciphertext.toString('latin1')}`;
      for (const secret of [tokens.accessToken, tokens.refreshToken!]) {
        expect(raw).not.toContain(secret);
        expect(list.text + me.text + confirmed.text).not.toContain(secret);
      }

      // Replaying the ticket fails.
      const replay = await s.api('POST', `/cloud-storage/connections/${provider}/confirm`, {
        token: user.accessToken,
        body: { ticket },
      });
      expect(replay.status).toBe(404);

      const before = s.sandbox!.control.revocations(provider).length;
      const del = await s.api('DELETE', `/cloud-storage/connections/${provider}`, {
        token: user.accessToken,
      });
      expect(del.status).toBe(204);
      const revoked = s.sandbox!.control.revocations(provider).length - before;
      expect(revoked).toBe(provider === 'onedrive' ? 0 : 1);
      for (const r of s.sandbox!.control.revocations(provider)) expect(r.via).not.toBe('query');
      expect((await storedRows(s, user.userId)).tokens).toHaveLength(0);
      expect(
        (await s.api('DELETE', `/cloud-storage/connections/${provider}`, { token: user.accessToken })).status,
      ).toBe(404);

      const audit = await s.api<{ items: Array<{ action: string }> }>('GET', '/audit-log?limit=100', {
        token: user.accessToken,
      });
      const actions = audit.body.items.map((i) => i.action);
      for (const a of [
        'cloud_storage.connect_started',
        'cloud_storage.authorized',
        'cloud_storage.connected',
        'cloud_storage.disconnected',
      ]) {
        expect(actions).toContain(a);
      }
    });
  }

  it('refuses forged, replayed, other-provider and missing states, storing nothing and calling no token endpoint', async () => {
    const s = stack();
    const user = await s.createUser();
    const { callbackUrl } = await authorize(s, user, 'google_drive');
    const calls = () =>
      s.sandbox!.control.tokenCalls('google_drive') + s.sandbox!.control.tokenCalls('dropbox');
    const before = calls();

    const forged = new URL(callbackUrl);
    forged.searchParams.set('state', 'A'.repeat(43));
    expect((await followCallback(s, forged)).searchParams.get('reason')).toBe('invalid_state');

    const noState = new URL(callbackUrl);
    noState.searchParams.delete('state');
    expect((await followCallback(s, noState)).searchParams.get('reason')).toBe('invalid_state');

    // Mix-up: a state minted for Google arrives on the Dropbox callback. It is consumed and refused.
    const mixUp = new URL(callbackUrl);
    mixUp.pathname = '/cloud-storage/callback/dropbox';
    expect((await followCallback(s, mixUp)).searchParams.get('reason')).toBe('invalid_state');
    // ...so even the genuine callback afterwards is a replay.
    expect((await followCallback(s, callbackUrl)).searchParams.get('reason')).toBe('invalid_state');

    expect(calls()).toBe(before);
    const rows = await storedRows(s, user.userId);
    expect(rows.tokens).toHaveLength(0);
    expect(rows.pending).toHaveLength(0);
  });

  it('refuses an expired state', async () => {
    const s = stack();
    const user = await s.createUser();
    const { callbackUrl } = await authorize(s, user, 'dropbox');
    await withClient(s.db.appUrl, async (c) => {
      await c.query('begin');
      await c.query("select set_config('app.user_id', $1, true)", [user.userId]);
      // The app role cannot update states; age it the way time would, through a fresh insert is not possible,
      // so move the clock of the row by deleting and re-inserting it as expired.
      const { rows } = await c.query('delete from oauth_states returning *');
      await c.query(
        `insert into oauth_states (state_hash, user_id, provider, code_verifier, redirect_uri, expires_at)
         values ($1, $2, $3, $4, $5, now() - interval '1 second')`,
        [rows[0].state_hash, rows[0].user_id, rows[0].provider, rows[0].code_verifier, rows[0].redirect_uri],
      );
      await c.query('commit');
    });
    const before = s.sandbox!.control.tokenCalls('dropbox');
    expect((await followCallback(s, callbackUrl)).searchParams.get('reason')).toBe('invalid_state');
    expect(s.sandbox!.control.tokenCalls('dropbox')).toBe(before);
    expect((await storedRows(s, user.userId)).pending).toHaveLength(0);
  });

  it('Deny at the consent page and an error parameter carrying markup → access_denied / provider_error, nothing reflected', async () => {
    const s = stack();
    const user = await s.createUser();
    const denied = await authorize(s, user, 'onedrive', 'deny');
    expect((await followCallback(s, denied.callbackUrl)).searchParams.get('reason')).toBe('access_denied');

    const { callbackUrl } = await authorize(s, user, 'google_drive');
    const evil = new URL(callbackUrl);
    evil.searchParams.delete('code');
    evil.searchParams.set('error', '<script>alert(1)</script>');
    evil.searchParams.set('error_description', '<img src=x onerror=alert(1)>');
    const res = await fetch(`${s.url}${evil.pathname}${evil.search}`, { redirect: 'manual' });
    const location = res.headers.get('location')!;
    expect(new URL(location).searchParams.get('reason')).toBe('provider_error');
    expect(location).not.toMatch(/script|onerror|alert/);
    expect(await res.text()).not.toMatch(/script|onerror/);
    expect((await storedRows(s, user.userId)).tokens).toHaveLength(0);
  });

  it('a code exchanged without the matching verifier fails at the token endpoint (code injection)', async () => {
    const s = stack();
    const user = await s.createUser();
    const first = await authorize(s, user, 'dropbox');
    const second = await authorize(s, user, 'dropbox');
    // The code of the first attempt injected into the second attempt's callback: verifier mismatch.
    const injected = new URL(second.callbackUrl);
    injected.searchParams.set('code', first.callbackUrl.searchParams.get('code')!);
    expect((await followCallback(s, injected)).searchParams.get('reason')).toBe('exchange_failed');
    expect(s.sandbox!.control.lastTokenRequest('dropbox')!.status).toBe(400);
    expect((await storedRows(s, user.userId)).pending).toHaveLength(0);
  });

  it('a ticket confirmed by another user → 404, and the pending tokens are discarded and revoked', async () => {
    const s = stack();
    const victim = await s.createUser();
    const attacker = await s.createUser();
    const { callbackUrl } = await authorize(s, victim, 'google_drive');
    const ticket = (await followCallback(s, callbackUrl)).searchParams.get('ticket')!;
    const revokedBefore = s.sandbox!.control.revocations('google_drive').length;

    const stolen = await s.api('POST', '/cloud-storage/connections/google_drive/confirm', {
      token: attacker.accessToken,
      body: { ticket },
    });
    expect(stolen.status).toBe(404);
    expect(s.sandbox!.control.revocations('google_drive').length).toBe(revokedBefore + 1);
    // The rightful user cannot use it any more either: it was discarded.
    const late = await s.api('POST', '/cloud-storage/connections/google_drive/confirm', {
      token: victim.accessToken,
      body: { ticket },
    });
    expect(late.status).toBe(404);
    expect((await storedRows(s, victim.userId)).pending).toHaveLength(0);
    expect((await storedRows(s, attacker.userId)).tokens).toHaveLength(0);
  });

  it('a ticket is single-use when confirms race: one of three concurrent confirms connects, the others 404', async () => {
    const s = stack();
    const user = await s.createUser();
    const { callbackUrl } = await authorize(s, user, 'google_drive');
    const ticket = (await followCallback(s, callbackUrl)).searchParams.get('ticket')!;
    const answers = await Promise.all(
      Array.from({ length: 3 }, () =>
        s.api('POST', '/cloud-storage/connections/google_drive/confirm', {
          token: user.accessToken,
          body: { ticket },
        }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 404, 404]);
    const rows = await storedRows(s, user.userId);
    expect(rows.pending).toHaveLength(0);
    expect(rows.tokens).toHaveLength(1);
    // One connection, one `connected` event and one audit row: the losers wrote nothing.
    const written = await withClient(s.db.appUrl, async (c) => {
      await c.query('begin');
      await c.query("select set_config('app.user_id', $1, true)", [user.userId]);
      const events = await c.query("select 1 from events where type = 'cloud_storage.connected'");
      const audit = await c.query("select 1 from audit_log where action = 'cloud_storage.connected'");
      await c.query('commit');
      return { events: events.rowCount, audit: audit.rowCount };
    });
    expect(written).toEqual({ events: 1, audit: 1 });
  });

  it('a provider outside the list is a 400 naming the field', async () => {
    const s = stack();
    const user = await s.createUser();
    const res = await s.api<{ errors: Array<{ path: string }> }>('GET', '/cloud-storage/connect/icloud', {
      token: user.accessToken,
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]!.path).toBe('provider');
  });

  it('re-consent without a refresh token keeps the previous one', async () => {
    const s = stack();
    const user = await s.createUser();
    const { callbackUrl } = await authorize(s, user, 'google_drive');
    const ticket = (await followCallback(s, callbackUrl)).searchParams.get('ticket')!;
    expect(
      (
        await s.api('POST', '/cloud-storage/connections/google_drive/confirm', {
          token: user.accessToken,
          body: { ticket },
        })
      ).status,
    ).toBe(200);
    const original = s.sandbox!.control.tokenRequests('google_drive').at(-1)!;
    expect(original.grantType).toBe('authorization_code');

    // A second consent whose token response carries no refresh token (Google without prompt=consent).
    const reconsent = s.sandbox!.control.issueTokens('google_drive', { refreshToken: false });
    const secondTicket = 'T'.repeat(43);
    await withTenant(user.userId, async (tx) =>
      insertPendingConnection(tx, {
        userId: user.userId,
        provider: 'google_drive',
        ticketHash: await sha256(secondTicket),
        sealed: await tokenVault.seal(
          { accessToken: reconsent.accessToken },
          { userId: user.userId, provider: 'google_drive' },
        ),
        meta: {
          scopes: ['https://www.googleapis.com/auth/drive.readonly'],
          // The same account as the first consent: only then may its refresh token be carried over.
          providerUserId: s.sandbox!.control.account('google_drive').id,
          providerEmail: null,
          tokenExpiresAt: null,
        },
        expiresAt: new Date(Date.now() + 60_000),
      }),
    );
    const confirmed = await s.api('POST', '/cloud-storage/connections/google_drive/confirm', {
      token: user.accessToken,
      body: { ticket: secondTicket },
    });
    expect(confirmed.status).toBe(200);
    const row = (await storedRows(s, user.userId)).tokens[0];
    const tokens = await tokenVault.open(
      { ciphertext: row.tokens_ciphertext, keyVersion: row.key_version },
      { userId: user.userId, provider: 'google_drive' },
    );
    expect(tokens.accessToken).toBe(reconsent.accessToken);
    expect(tokens.refreshToken).toBeTruthy();
    expect(tokens.refreshToken!.startsWith('1//0sbx')).toBe(true);
    expect(s.sandbox!.control.tokenStatus('google_drive', tokens.refreshToken!)).toBe('active');
  });

  it('re-consent as another provider account never keeps the previous refresh token (409 account_mismatch)', async () => {
    const s = stack();
    const user = await s.createUser();
    const { callbackUrl } = await authorize(s, user, 'google_drive');
    const ticket = (await followCallback(s, callbackUrl)).searchParams.get('ticket')!;
    const first = await s.api<{ accountId: string }>(
      'POST',
      '/cloud-storage/connections/google_drive/confirm',
      {
        token: user.accessToken,
        body: { ticket },
      },
    );
    expect(first.status).toBe(200);
    const before = await storedRows(s, user.userId);

    const park = async (ticketText: string, withRefreshToken: boolean) => {
      const issued = s.sandbox!.control.issueTokens('google_drive', { refreshToken: withRefreshToken });
      await withTenant(user.userId, async (tx) =>
        insertPendingConnection(tx, {
          userId: user.userId,
          provider: 'google_drive',
          ticketHash: await sha256(ticketText),
          sealed: await tokenVault.seal(
            {
              accessToken: issued.accessToken,
              ...(issued.refreshToken ? { refreshToken: issued.refreshToken } : {}),
            },
            { userId: user.userId, provider: 'google_drive' },
          ),
          meta: {
            scopes: ['https://www.googleapis.com/auth/drive.readonly'],
            providerUserId: `${first.body.accountId}-other`,
            providerEmail: 'other@example.test',
            tokenExpiresAt: null,
          },
          expiresAt: new Date(Date.now() + 60_000),
        }),
      );
      return issued;
    };

    // Another account, and no refresh token of its own: refused, nothing changes.
    await park('M'.repeat(43), false);
    const mismatch = await s.api<{ type: string; reason: string }>(
      'POST',
      '/cloud-storage/connections/google_drive/confirm',
      { token: user.accessToken, body: { ticket: 'M'.repeat(43) } },
    );
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.type).toMatch(/account-mismatch$/);
    expect(mismatch.body.reason).toBe('account_mismatch');
    expect(await storedRows(s, user.userId)).toEqual(before);

    // Another account with its own refresh token: stored as that account, with its own token only.
    const issued = await park('N'.repeat(43), true);
    const switched = await s.api<{ accountId: string }>(
      'POST',
      '/cloud-storage/connections/google_drive/confirm',
      {
        token: user.accessToken,
        body: { ticket: 'N'.repeat(43) },
      },
    );
    expect(switched.status).toBe(200);
    expect(switched.body.accountId).toBe(`${first.body.accountId}-other`);
    const row = (await storedRows(s, user.userId)).tokens[0];
    const tokens = await tokenVault.open(
      { ciphertext: row.tokens_ciphertext, keyVersion: row.key_version },
      { userId: user.userId, provider: 'google_drive' },
    );
    expect(tokens.refreshToken).toBe(issued.refreshToken);
  });
});
