/**
 * The provider sandbox, exercised with the real SDKs over https after trusting its CA in-process:
 * google-auth-library + @googleapis/drive, @microsoft/microsoft-graph-client, dropbox.
 */
import { createHash, randomBytes } from 'node:crypto';
import https from 'node:https';
import tls from 'node:tls';
import { drive as googleDrive } from '@googleapis/drive';
import { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import { Dropbox, DropboxAuth, type DropboxResponseError } from 'dropbox';
import { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox, trustSandboxCertificate } from '#local/sandbox/index';
import type { Provider } from '#shared/providers/types';

const REDIRECT = 'http://localhost:3000/cloud-storage/callback';

let sandbox: Sandbox;
let untrust: () => void;

beforeAll(async () => {
  sandbox = await startSandbox();
  untrust = trustSandboxCertificate(sandbox.caPem);
});

afterAll(async () => {
  untrust?.();
  await sandbox?.stop();
});

beforeEach(() => sandbox.control.reset());

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function postForm(url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

function authorizeUrl(provider: Provider, params: Record<string, string>): string {
  const u = new URL(sandbox.endpoints[provider].authorizeUrl);
  u.search = new URLSearchParams({
    client_id: sandbox.clients[provider].clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    code_challenge_method: 'S256',
    ...params,
  }).toString();
  return u.toString();
}

/** Consent (Allow) and exchange the code with a plain form POST; returns the token response. */
async function connect(provider: Provider, params: Record<string, string>) {
  const { verifier, challenge } = pkce();
  const back = await sandbox.control.consent(
    authorizeUrl(provider, { code_challenge: challenge, ...params }),
  );
  const code = back.searchParams.get('code');
  expect(code).toBeTruthy();
  const client = sandbox.clients[provider];
  return postForm(sandbox.endpoints[provider].tokenUrl, {
    grant_type: 'authorization_code',
    code: code!,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: client.clientId,
    client_secret: client.clientSecret,
  });
}

function refresh(provider: Provider, refreshToken: string) {
  const client = sandbox.clients[provider];
  return postForm(sandbox.endpoints[provider].tokenUrl, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: client.clientId,
    client_secret: client.clientSecret,
  });
}

/** The Dropbox SDK only knows its real hosts; rewrite them and give Node's Response the `buffer()` it expects. */
function dropboxFetch(): typeof fetch {
  const { apiBaseUrl, contentBaseUrl } = sandbox.endpoints.dropbox;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input)
      .replace('https://api.dropboxapi.com', apiBaseUrl)
      .replace('https://content.dropboxapi.com', contentBaseUrl);
    const res = await fetch(url, init);
    return Object.assign(res, { buffer: async () => Buffer.from(await res.arrayBuffer()) });
  }) as typeof fetch;
}

function googleClient() {
  const { google_drive: e } = sandbox.endpoints;
  return new OAuth2Client({
    clientId: sandbox.clients.google_drive.clientId,
    clientSecret: sandbox.clients.google_drive.clientSecret,
    redirectUri: REDIRECT,
    endpoints: {
      oauth2AuthBaseUrl: e.authorizeUrl,
      oauth2TokenUrl: e.tokenUrl,
      oauth2RevokeUrl: e.revokeUrl,
    },
  });
}

describe('certificate', () => {
  it('serves a certificate for IP 127.0.0.1 and DNS localhost that only the trusted CA makes acceptable', async () => {
    const peer = await new Promise<tls.PeerCertificate>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: sandbox.port, ca: sandbox.caPem }, () => {
        resolve(socket.getPeerCertificate());
        socket.end();
      });
      socket.on('error', reject);
    });
    expect(peer.subjectaltname).toContain('IP Address:127.0.0.1');
    expect(peer.subjectaltname).toContain('DNS:localhost');

    // Without the sandbox CA (Node's bundled roots only) the handshake is refused...
    const untrusted = await new Promise<string>((resolve) => {
      https
        .get(`${sandbox.origin}/`, { ca: tls.rootCertificates as string[], agent: false }, () =>
          resolve('accepted'),
        )
        .on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(untrusted).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    // ...while global fetch, after trustSandboxCertificate, accepts it.
    const res = await fetch(`${sandbox.origin}/`);
    expect(res.status).toBe(200);
    expect(tls.getCACertificates('default').some((pem) => pem.trim() === sandbox.caPem.trim())).toBe(true);
  });

  it('exposes endpoints on the sandbox origin for every provider', () => {
    for (const urls of Object.values(sandbox.endpoints)) {
      for (const url of Object.values(urls) as string[])
        expect(url.startsWith(`${sandbox.origin}/`)).toBe(true);
    }
  });
});

describe('consent page', () => {
  it('shows provider, escaped scopes, client id and Allow/Deny buttons', async () => {
    const { challenge } = pkce();
    const res = await fetch(
      authorizeUrl('dropbox', { code_challenge: challenge, scope: 'files.metadata.read <script>x</script>' }),
    );
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('Dropbox');
    expect(html).toContain(sandbox.clients.dropbox.clientId);
    expect(html).toContain('files.metadata.read');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toMatch(/<button[^>]*id="allow"/);
    expect(html).toMatch(/<button[^>]*id="deny"/);
  });

  it('Allow redirects with a code and the state echoed exactly', async () => {
    const { challenge } = pkce();
    const state = 'st/+= &x';
    const back = await sandbox.control.consent(
      authorizeUrl('onedrive', { code_challenge: challenge, scope: 'Files.Read offline_access', state }),
    );
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe(state);
    expect(back.searchParams.get('code')).toBeTruthy();
  });

  it('Deny redirects with error=access_denied, a description and the state', async () => {
    const { challenge } = pkce();
    const back = await sandbox.control.consent(
      authorizeUrl('google_drive', { code_challenge: challenge, scope: 'openid email', state: 'deny-me' }),
      { decision: 'deny' },
    );
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('error_description')).toBeTruthy();
    expect(back.searchParams.get('state')).toBe('deny-me');
    expect(back.searchParams.has('code')).toBe(false);
  });

  it('an unknown client or an unregistered redirect URI gets an error page, never a redirect', async () => {
    const { challenge } = pkce();
    sandbox.control.setRedirectUris([REDIRECT]);
    const badClient = await fetch(
      authorizeUrl('google_drive', { code_challenge: challenge, scope: 'email', client_id: 'someone-else' }),
      { redirect: 'manual' },
    );
    expect(badClient.status).toBe(401);
    expect(badClient.headers.get('location')).toBeNull();
    expect(await badClient.text()).toContain('invalid_client');

    const badRedirect = await fetch(
      authorizeUrl('google_drive', {
        code_challenge: challenge,
        scope: 'email',
        redirect_uri: 'http://localhost:3000/elsewhere',
      }),
      { redirect: 'manual' },
    );
    expect(badRedirect.status).toBe(400);
    expect(badRedirect.headers.get('location')).toBeNull();
    expect(await badRedirect.text()).toContain('redirect_uri_mismatch');

    const external = await fetch(
      authorizeUrl('dropbox', { code_challenge: challenge, redirect_uri: 'https://evil.example/cb' }),
      { redirect: 'manual' },
    );
    expect(external.status).toBe(400);
  });

  it('PKCE S256 is required: a missing challenge or the plain method comes back as invalid_request', async () => {
    const noChallenge = await sandbox.control.consent(authorizeUrl('dropbox', { state: 's1' }));
    expect(noChallenge.searchParams.get('error')).toBe('invalid_request');
    expect(noChallenge.searchParams.get('state')).toBe('s1');
    const { challenge } = pkce();
    const plain = await sandbox.control.consent(
      authorizeUrl('dropbox', { code_challenge: challenge, code_challenge_method: 'plain' }),
    );
    expect(plain.searchParams.get('error')).toBe('invalid_request');
  });

  it('the account typed on the consent page, or set per test, is the one the APIs report', async () => {
    sandbox.control.setAccount('google_drive', { id: '111', email: 'ada@example.com' });
    const mine = await connect('google_drive', { scope: 'openid email' });
    const me = await fetch(sandbox.endpoints.google_drive.userinfoUrl, {
      headers: { authorization: `Bearer ${mine.body.access_token}` },
    });
    expect(await me.json()).toMatchObject({ sub: '111', email: 'ada@example.com', email_verified: true });

    const { verifier, challenge } = pkce();
    const back = await sandbox.control.consent(
      authorizeUrl('google_drive', { code_challenge: challenge, scope: 'openid email' }),
      { email: 'grace@example.com' },
    );
    const tokens = await postForm(sandbox.endpoints.google_drive.tokenUrl, {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: sandbox.clients.google_drive.clientId,
      client_secret: sandbox.clients.google_drive.clientSecret,
    });
    const other = (await (
      await fetch(sandbox.endpoints.google_drive.userinfoUrl, {
        headers: { authorization: `Bearer ${tokens.body.access_token}` },
      })
    ).json()) as { sub: string; email: string };
    expect(other.email).toBe('grace@example.com');
    expect(other.sub).not.toBe('111');
  });
});

describe('Google with google-auth-library and @googleapis/drive', () => {
  it('connects with PKCE, then lists a folder in three pages and reads every kind of file', async () => {
    const oauth = googleClient();
    const { codeVerifier, codeChallenge } = await oauth.generateCodeVerifierAsync();
    const url = oauth.generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      scope: ['openid', 'email', 'https://www.googleapis.com/auth/drive.readonly'],
      state: 'google-state',
      code_challenge: codeChallenge,
      code_challenge_method: CodeChallengeMethod.S256,
    });
    expect(url.startsWith(sandbox.endpoints.google_drive.authorizeUrl)).toBe(true);
    const back = await sandbox.control.consent(url);
    expect(back.searchParams.get('state')).toBe('google-state');

    const { tokens } = await oauth.getToken({ code: back.searchParams.get('code')!, codeVerifier });
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.scope).toContain('drive.readonly');
    const sent = sandbox.control.lastTokenRequest('google_drive')!;
    expect(sent.params.redirect_uri).toBe(REDIRECT);
    expect(sent.params.code_verifier).toBe(codeVerifier);
    expect(sent.grantType).toBe('authorization_code');

    oauth.setCredentials({ access_token: tokens.access_token });
    const drive = googleDrive({
      version: 'v3',
      auth: oauth as never,
      rootUrl: sandbox.endpoints.google_drive.driveRootUrl,
    });
    const batch = sandbox.control.fileId('google_drive', '/Batch');
    const pages: string[][] = [];
    let pageToken: string | undefined;
    do {
      const res = await drive.files.list({
        q: `'${batch}' in parents and trashed=false`,
        pageSize: 3,
        fields: 'nextPageToken,files(id,name,mimeType,size,modifiedTime,parents,webViewLink)',
        ...(pageToken ? { pageToken } : {}),
      });
      const files = res.data.files ?? [];
      for (const f of files) {
        expect(f.parents).toEqual([batch]);
        expect(typeof f.size).toBe('string');
        expect(f.modifiedTime).toMatch(/^\d{4}-\d\d-\d\dT/);
      }
      pages.push(files.map((f) => f.name!));
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(pages).toEqual([
      ['file-01.txt', 'file-02.txt', 'file-03.txt'],
      ['file-04.txt', 'file-05.txt', 'file-06.txt'],
      ['file-07.txt'],
    ]);
    const listCalls = sandbox.control.apiCalls('google_drive', 'files.list');
    expect(listCalls).toHaveLength(3);
    expect(listCalls.every((c) => c.bearer === tokens.access_token && c.status === 200)).toBe(true);

    const root = await drive.files.list({
      q: "'root' in parents and trashed=false",
      fields: 'files(id,name,mimeType,size)',
    });
    const byName = new Map((root.data.files ?? []).map((f) => [f.name, f]));
    expect(byName.get('Batch')?.mimeType).toBe('application/vnd.google-apps.folder');
    expect(byName.get('Batch')?.size).toBeUndefined();
    const doc = byName.get('Meeting notes')!;
    expect(doc.mimeType).toBe('application/vnd.google-apps.document');

    const refused = await drive.files.get({ fileId: doc.id!, alt: 'media' }).catch((e: unknown) => e);
    expect((refused as { status?: number }).status).toBe(403);
    expect(JSON.stringify((refused as { response?: { data?: unknown } }).response?.data)).toContain(
      'fileNotDownloadable',
    );
    const exported = await drive.files.export(
      { fileId: doc.id!, mimeType: 'text/plain' },
      { responseType: 'text' },
    );
    expect(String(exported.data)).toContain('Meeting notes');

    const logo = await drive.files.get(
      { fileId: byName.get('logo.png')!.id!, alt: 'media' },
      { responseType: 'arraybuffer' },
    );
    const png = Buffer.from(logo.data as unknown as ArrayBuffer);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

    const large = await drive.files.get(
      { fileId: byName.get('large.txt')!.id!, alt: 'media' },
      { responseType: 'arraybuffer' },
    );
    const bytes = Buffer.from(large.data as unknown as ArrayBuffer);
    expect(bytes.length).toBeGreaterThan(1024 * 1024);
    expect(bytes.length).toBe(Number(byName.get('large.txt')!.size));

    const meta = await drive.files.get({ fileId: batch, fields: 'id,name,mimeType' });
    expect(meta.data).toEqual({ id: batch, name: 'Batch', mimeType: 'application/vnd.google-apps.folder' });
  });

  it('refresh responses carry no refresh_token and the old one keeps working; revocation ends it', async () => {
    const first = await connect('google_drive', {
      scope: 'openid email',
      access_type: 'offline',
      prompt: 'consent',
    });
    const refreshToken = first.body.refresh_token as string;
    expect(refreshToken).toBeTruthy();

    const r1 = await refresh('google_drive', refreshToken);
    expect(r1.status).toBe(200);
    expect(r1.body.access_token).toBeTruthy();
    expect(r1.body).not.toHaveProperty('refresh_token');
    const r2 = await refresh('google_drive', refreshToken);
    expect(r2.status).toBe(200);
    expect(sandbox.control.tokenCalls('google_drive', 'refresh_token')).toBe(2);
    expect(sandbox.control.tokenCalls('google_drive', 'authorization_code')).toBe(1);

    const revoked = await postForm(sandbox.endpoints.google_drive.revokeUrl, { token: refreshToken });
    expect(revoked.status).toBe(200);
    expect(sandbox.control.revocations('google_drive')).toEqual([
      { provider: 'google_drive', token: refreshToken, tokenType: 'refresh', via: 'body' },
    ]);
    const after = await refresh('google_drive', refreshToken);
    expect(after.status).toBe(400);
    expect(after.body.error).toBe('invalid_grant');
    // The whole grant goes: the access tokens it produced stop working too.
    const me = await fetch(sandbox.endpoints.google_drive.userinfoUrl, {
      headers: { authorization: `Bearer ${r2.body.access_token}` },
    });
    expect(me.status).toBe(401);
  });

  it('without access_type=offline there is no refresh token; a repeat offline consent without prompt=consent has none either', async () => {
    const online = await connect('google_drive', { scope: 'email' });
    expect(online.status).toBe(200);
    expect(online.body).not.toHaveProperty('refresh_token');

    const firstOffline = await connect('google_drive', { scope: 'email', access_type: 'offline' });
    expect(firstOffline.body.refresh_token).toBeTruthy();
    const repeat = await connect('google_drive', { scope: 'email', access_type: 'offline' });
    expect(repeat.body).not.toHaveProperty('refresh_token');
    const forced = await connect('google_drive', {
      scope: 'email',
      access_type: 'offline',
      prompt: 'consent',
    });
    expect(forced.body.refresh_token).toBeTruthy();
  });

  it('a code verifier that does not match the challenge is invalid_grant (through the SDK), and codes are single-use', async () => {
    const oauth = googleClient();
    const { codeChallenge } = await oauth.generateCodeVerifierAsync();
    const other = await oauth.generateCodeVerifierAsync();
    const back = await sandbox.control.consent(
      oauth.generateAuthUrl({
        scope: ['email'],
        code_challenge: codeChallenge,
        code_challenge_method: CodeChallengeMethod.S256,
      }),
    );
    const code = back.searchParams.get('code')!;
    const err = (await oauth
      .getToken({ code, codeVerifier: other.codeVerifier })
      .catch((e: unknown) => e)) as {
      status?: number;
      response?: { data?: { error?: string } };
    };
    expect(err.status).toBe(400);
    expect(err.response?.data?.error).toBe('invalid_grant');

    const { verifier, challenge } = pkce();
    const again = await sandbox.control.consent(
      authorizeUrl('google_drive', { code_challenge: challenge, scope: 'email' }),
    );
    const params = {
      grant_type: 'authorization_code',
      code: again.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: sandbox.clients.google_drive.clientId,
      client_secret: sandbox.clients.google_drive.clientSecret,
    };
    const ok = await postForm(sandbox.endpoints.google_drive.tokenUrl, params);
    expect(ok.status).toBe(200);
    const replay = await postForm(sandbox.endpoints.google_drive.tokenUrl, params);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    // The replay revokes what the code produced.
    expect(sandbox.control.tokenStatus('google_drive', ok.body.access_token as string)).toBe('revoked');

    // A code is bound to the redirect URI it was issued for.
    const third = pkce();
    const back3 = await sandbox.control.consent(
      authorizeUrl('google_drive', { code_challenge: third.challenge, scope: 'email' }),
    );
    const elsewhere = await postForm(sandbox.endpoints.google_drive.tokenUrl, {
      ...params,
      code: back3.searchParams.get('code')!,
      code_verifier: third.verifier,
      redirect_uri: 'http://localhost:3000/other',
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error).toBe('invalid_grant');
  });

  it('googleapis retries a 500 by itself (retry: true by default) but not a 403 userRateLimitExceeded', async () => {
    const { accessToken } = sandbox.control.issueTokens('google_drive');
    const oauth = googleClient();
    oauth.setCredentials({ access_token: accessToken });
    const drive = googleDrive({
      version: 'v3',
      auth: oauth as never,
      rootUrl: sandbox.endpoints.google_drive.driveRootUrl,
    });
    sandbox.control.failNextApiCalls('google_drive', { kind: 'server_error' });
    const ok = await drive.files.list({ q: "'root' in parents" });
    expect(ok.status).toBe(200);
    expect(sandbox.control.apiCalls('google_drive', 'files.list').map((c) => c.status)).toEqual([500, 200]);

    sandbox.control.failNextApiCalls('google_drive', { kind: 'user_rate_limit' });
    const err = (await drive.files.list({ q: "'root' in parents" }).catch((e: unknown) => e)) as {
      status?: number;
    };
    expect(err.status).toBe(403);
    expect(sandbox.control.apiCalls('google_drive', 'files.list')).toHaveLength(3);
  });

  it('throttling and expiry look like Drive: 403 userRateLimitExceeded, 429, 401 UNAUTHENTICATED', async () => {
    const { accessToken } = sandbox.control.issueTokens('google_drive');
    const list = () =>
      fetch(
        `${sandbox.endpoints.google_drive.driveRootUrl}drive/v3/files?q=${encodeURIComponent("'root' in parents")}`,
        {
          headers: { authorization: `Bearer ${accessToken}` },
        },
      );
    sandbox.control.failNextApiCalls('google_drive', { kind: 'user_rate_limit' });
    sandbox.control.failNextApiCalls('google_drive', { kind: 'rate_limited', retryAfterSeconds: 7 });
    const r403 = await list();
    expect(r403.status).toBe(403);
    expect(((await r403.json()) as { error: { errors: { reason: string }[] } }).error.errors[0]!.reason).toBe(
      'userRateLimitExceeded',
    );
    const r429 = await list();
    expect(r429.status).toBe(429);
    expect(r429.headers.get('retry-after')).toBe('7');
    expect((await list()).status).toBe(200);

    sandbox.control.expireAccessTokens('google_drive');
    const expired = await list();
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
  });
});

describe('Microsoft with @microsoft/microsoft-graph-client', () => {
  it('rotates the refresh token on every refresh; the old one stays valid unless configured otherwise', async () => {
    const tokens = await connect('onedrive', { scope: 'offline_access Files.Read User.Read' });
    expect(tokens.status).toBe(200);
    expect(tokens.body.scope).not.toContain('offline_access');
    const rt0 = tokens.body.refresh_token as string;
    expect(rt0).toBeTruthy();

    const r1 = await refresh('onedrive', rt0);
    const rt1 = r1.body.refresh_token as string;
    expect(rt1).toBeTruthy();
    expect(rt1).not.toBe(rt0);
    const r2 = await refresh('onedrive', rt0);
    expect(r2.status).toBe(200);
    expect(r2.body.refresh_token).not.toBe(rt1);

    sandbox.control.configure('onedrive', { revokeRotatedRefreshTokens: true });
    const r3 = await refresh('onedrive', rt1);
    expect(r3.status).toBe(200);
    const reuse = await refresh('onedrive', rt1);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    expect(reuse.body.error_codes).toEqual(expect.any(Array));
  });

  it('without offline_access there is no refresh token', async () => {
    const tokens = await connect('onedrive', { scope: 'Files.Read User.Read' });
    expect(tokens.status).toBe(200);
    expect(tokens.body).not.toHaveProperty('refresh_token');
  });

  it('accepts HTTP Basic client authentication and rejects a wrong secret with 401 invalid_client', async () => {
    const { verifier, challenge } = pkce();
    const back = await sandbox.control.consent(
      authorizeUrl('onedrive', { code_challenge: challenge, scope: 'User.Read' }),
    );
    const { clientId, clientSecret } = sandbox.clients.onedrive;
    const params = {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    };
    const basic = (secret: string) =>
      `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    const wrong = await postForm(sandbox.endpoints.onedrive.tokenUrl, params, {
      authorization: basic('nope'),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    const ok = await postForm(sandbox.endpoints.onedrive.tokenUrl, params, {
      authorization: basic(clientSecret),
    });
    expect(ok.status).toBe(200);
    expect(sandbox.control.lastTokenRequest('onedrive')?.clientAuth).toBe('basic');
  });

  it('lists children across https @odata.nextLink pages with the bearer attached', async () => {
    const { accessToken } = sandbox.control.issueTokens('onedrive', { scopes: ['Files.Read', 'User.Read'] });
    const client = GraphClient.initWithMiddleware({
      authProvider: { getAccessToken: async () => accessToken },
      baseUrl: sandbox.endpoints.onedrive.graphBaseUrl,
      customHosts: new Set([new URL(sandbox.origin).hostname]),
    });
    const me = await client.api('/me').get();
    expect(me).toMatchObject({
      id: sandbox.control.account('onedrive').id,
      mail: 'onedrive.user@example.com',
    });

    const batch = sandbox.control.fileId('onedrive', '/Batch');
    const pages: string[][] = [];
    let res = await client
      .api(`/me/drive/items/${batch}/children`)
      .top(3)
      .select('id,name,size,lastModifiedDateTime,webUrl,folder,file,parentReference')
      .get();
    for (;;) {
      pages.push(res.value.map((i: { name: string }) => i.name));
      for (const item of res.value) {
        expect(item.file.mimeType).toBe('text/plain');
        expect(item.parentReference.id).toBe(batch);
        expect(item).not.toHaveProperty('@microsoft.graph.downloadUrl');
      }
      const next = res['@odata.nextLink'] as string | undefined;
      if (!next) break;
      expect(next.startsWith(`${sandbox.origin}/`)).toBe(true);
      res = await client.api(next).get();
    }
    expect(pages).toEqual([
      ['file-01.txt', 'file-02.txt', 'file-03.txt'],
      ['file-04.txt', 'file-05.txt', 'file-06.txt'],
      ['file-07.txt'],
    ]);
    const calls = sandbox.control.apiCalls('onedrive', 'children');
    expect(calls).toHaveLength(3);
    expect(calls.map((c) => [c.bearer, c.status])).toEqual(Array(3).fill([accessToken, 200]));

    const root = await client.api('/me/drive/root/children').get();
    const folder = root.value.find((i: { name: string }) => i.name === 'Batch');
    expect(folder.folder).toEqual({ childCount: 7 });
  });

  it('the Graph client attaches no bearer to a host missing from customHosts', async () => {
    const { accessToken } = sandbox.control.issueTokens('onedrive');
    const client = GraphClient.initWithMiddleware({
      authProvider: { getAccessToken: async () => accessToken },
      baseUrl: sandbox.endpoints.onedrive.graphBaseUrl,
    });
    const err = (await client
      .api('/me')
      .get()
      .catch((e: unknown) => e)) as { statusCode?: number; code?: string };
    expect(err.statusCode).toBe(401);
    expect(err.code).toBe('InvalidAuthenticationToken');
    expect(sandbox.control.apiCalls('onedrive', 'me')[0]?.authorizationHeader).toBe(false);
  });

  it('the Graph client retries a 429 by itself (its default RetryHandler), so the fake sees two calls', async () => {
    const { accessToken } = sandbox.control.issueTokens('onedrive');
    const client = GraphClient.initWithMiddleware({
      authProvider: { getAccessToken: async () => accessToken },
      baseUrl: sandbox.endpoints.onedrive.graphBaseUrl,
      customHosts: new Set(['127.0.0.1']),
    });
    sandbox.control.failNextApiCalls('onedrive', { kind: 'rate_limited', retryAfterSeconds: 0 });
    const me = await client.api('/me').get();
    expect(me.id).toBe(sandbox.control.account('onedrive').id);
    expect(sandbox.control.apiCalls('onedrive', 'me').map((c) => c.status)).toEqual([429, 200]);
  });

  it('content redirects to a short-lived URL that works without Authorization', async () => {
    const { accessToken } = sandbox.control.issueTokens('onedrive');
    const id = sandbox.control.fileId('onedrive', '/logo.png');
    const redirect = await fetch(
      `${sandbox.endpoints.onedrive.graphBaseUrl}v1.0/me/drive/items/${id}/content`,
      {
        headers: { authorization: `Bearer ${accessToken}` },
        redirect: 'manual',
      },
    );
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location')!;
    expect(location.startsWith(`${sandbox.origin}/`)).toBe(true);
    const file = await fetch(location);
    expect(file.status).toBe(200);
    expect(
      Buffer.from(await file.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    expect(sandbox.control.apiCalls('onedrive', 'download_url')[0]).toMatchObject({
      authorizationHeader: false,
      status: 200,
    });

    sandbox.control.configure('onedrive', { downloadUrlTtlSeconds: -1 });
    const again = await fetch(`${sandbox.endpoints.onedrive.graphBaseUrl}v1.0/me/drive/items/${id}/content`, {
      headers: { authorization: `Bearer ${accessToken}` },
      redirect: 'manual',
    });
    expect((await fetch(again.headers.get('location')!)).status).toBe(401);
  });

  it('expired tokens get 401 InvalidAuthenticationToken; throttling is 429 with Retry-After', async () => {
    const { accessToken } = sandbox.control.issueTokens('onedrive');
    const me = () =>
      fetch(`${sandbox.endpoints.onedrive.graphBaseUrl}v1.0/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
    sandbox.control.failNextApiCalls('onedrive', { kind: 'rate_limited', retryAfterSeconds: 3 });
    const throttled = await me();
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect((await me()).status).toBe(200);
    sandbox.control.expireAccessTokens('onedrive');
    const expired = await me();
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
  });
});

describe('Dropbox with the dropbox SDK', () => {
  it('connects, lists a folder with list_folder + continue, downloads and reads the account', async () => {
    const tokens = await connect('dropbox', { token_access_type: 'offline' });
    expect(tokens.status).toBe(200);
    expect(tokens.body.token_type).toBe('bearer');
    expect(tokens.body.refresh_token).toBeTruthy();
    expect(tokens.body.account_id).toBe(sandbox.control.account('dropbox').id);
    const accessToken = tokens.body.access_token as string;

    const dbx = new Dropbox({ accessToken, fetch: dropboxFetch() });
    const account = await dbx.usersGetCurrentAccount();
    expect(account.result).toMatchObject({ email: 'dropbox.user@example.com', email_verified: true });
    expect(account.result.name.display_name).toBe('Sandbox User');

    const batch = sandbox.control.fileId('dropbox', '/Batch');
    const pages: string[][] = [];
    let page = await dbx.filesListFolder({ path: batch, limit: 3 });
    pages.push(page.result.entries.map((e) => e.name));
    while (page.result.has_more) {
      const next = await dbx.filesListFolderContinue({ cursor: page.result.cursor });
      pages.push(next.result.entries.map((e) => e.name));
      page = next as typeof page;
    }
    expect(pages).toEqual([
      ['file-01.txt', 'file-02.txt', 'file-03.txt'],
      ['file-04.txt', 'file-05.txt', 'file-06.txt'],
      ['file-07.txt'],
    ]);
    expect(sandbox.control.apiCalls('dropbox', 'list_folder/continue').map((c) => c.bearer)).toEqual([
      accessToken,
      accessToken,
    ]);

    const root = await dbx.filesListFolder({ path: '' });
    const large = root.result.entries.find((e) => e.name === 'large.txt');
    expect(large).toMatchObject({ '.tag': 'file', path_display: '/large.txt', is_downloadable: true });
    const download = await dbx.filesDownload({ path: (large as { id: string }).id });
    const bytes = (download.result as unknown as { fileBinary: Buffer }).fileBinary;
    expect(bytes.length).toBeGreaterThan(1024 * 1024);
    expect(download.result.name).toBe('large.txt');
  });

  it('expired and revoked tokens are refused with the Dropbox tags; revoke ends the refresh token too', async () => {
    const tokens = await connect('dropbox', { token_access_type: 'offline' });
    const dbx = new Dropbox({ accessToken: tokens.body.access_token as string, fetch: dropboxFetch() });
    sandbox.control.expireAccessTokens('dropbox');
    const expired = (await dbx
      .filesListFolder({ path: '' })
      .catch((e: unknown) => e)) as DropboxResponseError<{
      error: { '.tag': string };
    }>;
    expect(expired.status).toBe(401);
    expect(expired.error).toEqual({
      error_summary: 'expired_access_token/',
      error: { '.tag': 'expired_access_token' },
    });

    const r = await refresh('dropbox', tokens.body.refresh_token as string);
    expect(r.status).toBe(200);
    expect(r.body).not.toHaveProperty('refresh_token');
    const fresh = new Dropbox({ accessToken: r.body.access_token as string, fetch: dropboxFetch() });
    const revoked = await fresh.authTokenRevoke();
    expect(revoked.status).toBe(200);
    expect(revoked.result).toBeNull();
    expect(sandbox.control.revocations('dropbox')[0]).toMatchObject({ via: 'header', tokenType: 'access' });
    const after = (await fresh
      .filesListFolder({ path: '' })
      .catch((e: unknown) => e)) as DropboxResponseError<{
      error: { '.tag': string };
    }>;
    expect(after.status).toBe(401);
    expect(after.error.error['.tag']).toBe('invalid_access_token');
    expect((await refresh('dropbox', tokens.body.refresh_token as string)).body.error).toBe('invalid_grant');
  });

  it('without token_access_type=offline there is no refresh token; a PKCE exchange may omit the secret', async () => {
    const { verifier, challenge } = pkce();
    const back = await sandbox.control.consent(authorizeUrl('dropbox', { code_challenge: challenge }));
    const res = await postForm(sandbox.endpoints.dropbox.tokenUrl, {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: sandbox.clients.dropbox.clientId,
    });
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('refresh_token');
    expect(sandbox.control.lastTokenRequest('dropbox')?.clientAuth).toBe('none');
  });

  it("the SDK's own code exchange puts the secret and code in the URL, which the sandbox refuses", async () => {
    const { verifier, challenge } = pkce();
    const back = await sandbox.control.consent(authorizeUrl('dropbox', { code_challenge: challenge }));
    const auth = new DropboxAuth({
      clientId: sandbox.clients.dropbox.clientId,
      clientSecret: sandbox.clients.dropbox.clientSecret,
      fetch: dropboxFetch(),
    });
    auth.setCodeVerifier(verifier);
    const err = (await auth
      .getAccessTokenFromCode(REDIRECT, back.searchParams.get('code')!)
      .catch((e: unknown) => e)) as { status?: number };
    expect(err.status).toBe(400);
    expect(sandbox.control.lastTokenRequest('dropbox')?.paramsInUrl).toEqual(
      expect.arrayContaining(['code', 'client_secret']),
    );
  });

  it('throttling: 429 with Retry-After and retry_after in the body', async () => {
    const { accessToken } = sandbox.control.issueTokens('dropbox');
    const dbx = new Dropbox({ accessToken, fetch: dropboxFetch() });
    sandbox.control.failNextApiCalls(
      'dropbox',
      { kind: 'rate_limited', retryAfterSeconds: 5 },
      { endpoint: 'list_folder' },
    );
    expect((await dbx.usersGetCurrentAccount()).status).toBe(200);
    const err = (await dbx.filesListFolder({ path: '' }).catch((e: unknown) => e)) as DropboxResponseError<{
      error: { retry_after: number };
    }>;
    expect(err.status).toBe(429);
    expect(err.headers.get('retry-after')).toBe('5');
    expect(err.error.error.retry_after).toBe(5);
    expect((await dbx.filesListFolder({ path: '' })).status).toBe(200);
  });
});

describe('token endpoint failure injection and counters', () => {
  it('injects invalid_grant, invalid_client, 429, 500 and delay for the next calls, then behaves again', async () => {
    const { refreshToken } = sandbox.control.issueTokens('dropbox');
    const { control } = sandbox;
    control.failNextTokenCalls('dropbox', { kind: 'invalid_grant' });
    control.failNextTokenCalls('dropbox', { kind: 'invalid_client' });
    control.failNextTokenCalls('dropbox', { kind: 'rate_limited', retryAfterSeconds: 9 });
    control.failNextTokenCalls('dropbox', { kind: 'server_error' }, 2);
    control.failNextTokenCalls('dropbox', { kind: 'delay', ms: 20 });

    const a = await refresh('dropbox', refreshToken!);
    expect([a.status, a.body.error]).toEqual([400, 'invalid_grant']);
    const b = await refresh('dropbox', refreshToken!);
    // Dropbox answers a bad client with 400 (Google and Microsoft: 401).
    expect([b.status, b.body.error]).toEqual([400, 'invalid_client']);
    const c = await refresh('dropbox', refreshToken!);
    expect(c.status).toBe(429);
    expect(c.headers.get('retry-after')).toBe('9');
    expect((c.body.error as { retry_after: number }).retry_after).toBe(9);
    expect((await refresh('dropbox', refreshToken!)).status).toBe(500);
    expect((await refresh('dropbox', refreshToken!)).status).toBe(500);
    const delayed = await refresh('dropbox', refreshToken!);
    expect(delayed.status).toBe(200);
    expect((await refresh('dropbox', refreshToken!)).status).toBe(200);
    expect(control.tokenCalls('dropbox', 'refresh_token')).toBe(7);
    expect(control.tokenRequests('dropbox').map((r) => r.status)).toEqual([
      400, 400, 429, 500, 500, 200, 200,
    ]);

    control.reset();
    expect(control.tokenCalls('dropbox')).toBe(0);
    expect(control.tokenStatus('dropbox', refreshToken!)).toBe('unknown');
  });

  it('a Dropbox refresh answers access_token, token_type and expires_in only (knob: minimalRefreshResponse)', async () => {
    const { refreshToken } = sandbox.control.issueTokens('dropbox');
    const minimal = await refresh('dropbox', refreshToken!);
    expect(minimal.status).toBe(200);
    expect(Object.keys(minimal.body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    sandbox.control.configure('dropbox', { minimalRefreshResponse: false });
    const full = await refresh('dropbox', refreshToken!);
    expect(Object.keys(full.body)).toEqual(expect.arrayContaining(['scope', 'uid', 'account_id']));
  });

  it('revoked or unknown refresh tokens are invalid_grant', async () => {
    const { refreshToken } = sandbox.control.issueTokens('onedrive');
    expect((await refresh('onedrive', 'made-up')).body.error).toBe('invalid_grant');
    sandbox.control.revokeRefreshTokens('onedrive');
    const res = await refresh('onedrive', refreshToken!);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  it('refuses credentials in URLs: token-endpoint query parameters and access_token query parameters', async () => {
    const { refreshToken, accessToken } = sandbox.control.issueTokens('google_drive');
    const url = new URL(sandbox.endpoints.google_drive.tokenUrl);
    url.searchParams.set('refresh_token', refreshToken!);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: sandbox.clients.google_drive.clientId,
      }),
    });
    expect(res.status).toBe(400);
    expect(sandbox.control.lastTokenRequest('google_drive')?.paramsInUrl).toEqual(['refresh_token']);

    const api = await fetch(`${sandbox.endpoints.google_drive.userinfoUrl}?access_token=${accessToken}`);
    expect(api.status).toBe(400);
    expect(sandbox.control.apiCalls('google_drive', 'userinfo')[0]?.tokenInUrl).toBe(true);

    const revoke = await fetch(`${sandbox.endpoints.google_drive.revokeUrl}?token=${accessToken}`, {
      method: 'POST',
    });
    expect(revoke.status).toBe(400);
    expect(sandbox.control.tokenStatus('google_drive', accessToken)).toBe('active');
  });
});

describe('the brand kit: the documents an import meets', () => {
  const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
  const isZip = (b: Buffer) => b.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'));

  function drive(accessToken: string) {
    const oauth = googleClient();
    oauth.setCredentials({ access_token: accessToken });
    return googleDrive({
      version: 'v3',
      auth: oauth as never,
      rootUrl: sandbox.endpoints.google_drive.driveRootUrl,
      retry: false,
    });
  }

  it('Google: Docs, Slides and Sheets export per format; over the 10 MB cap 403 exportSizeLimitExceeded, and exportLinks serve it', async () => {
    const { accessToken } = sandbox.control.issueTokens('google_drive');
    const d = drive(accessToken);
    const id = (name: string) => sandbox.control.fileId('google_drive', `/Brand kit/${name}`);
    const exportAs = async (name: string, mimeType: string) =>
      Buffer.from(
        (await d.files.export({ fileId: id(name), mimeType }, { responseType: 'arraybuffer' }))
          .data as unknown as ArrayBuffer,
      );
    expect(isZip(await exportAs('Voice guide', DOCX))).toBe(true);
    expect((await exportAs('Voice guide', 'text/plain')).toString()).toContain('We say less and mean more.');
    expect(isZip(await exportAs('Launch deck', PPTX))).toBe(true);
    expect((await exportAs('Word list', 'text/csv')).toString()).toContain('customers,always');
    const notes = sandbox.control.fileId('google_drive', '/Meeting notes');
    const notesDocx = await d.files.export(
      { fileId: notes, mimeType: DOCX },
      { responseType: 'arraybuffer' },
    );
    expect(isZip(Buffer.from(notesDocx.data as unknown as ArrayBuffer))).toBe(true);
    // A conversion Drive does not offer for this type.
    const unsupported = await d.files
      .export({ fileId: id('Word list'), mimeType: DOCX })
      .catch((e: unknown) => e);
    expect((unsupported as { status?: number }).status).toBe(400);

    // The style manual's DOCX is over 10 MB: Drive refuses the export and points at exportLinks.
    const over = await d.files
      .export({ fileId: id('Style manual'), mimeType: DOCX }, { responseType: 'arraybuffer' })
      .catch((e: unknown) => e);
    expect((over as { status?: number }).status).toBe(403);
    expect(sandbox.control.apiCalls('google_drive', 'files.export').at(-1)?.status).toBe(403);
    const meta = await d.files.get({ fileId: id('Style manual'), fields: 'id,mimeType,version,exportLinks' });
    const link = meta.data.exportLinks?.[DOCX];
    expect(link).toMatch(/\/feeds\/download\/documents\/export\/Export\?id=.+&exportFormat=docx$/);
    expect((await fetch(link!)).status).toBe(401); // the bearer is needed
    const big = await fetch(link!, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(big.status).toBe(200);
    const bytes = Buffer.from(await big.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(10_000_000);
    expect(isZip(bytes)).toBe(true);
    const slides = await d.files.get({ fileId: id('Launch deck'), fields: 'exportLinks' });
    expect(slides.data.exportLinks?.[PPTX]).toMatch(/\/feeds\/download\/presentations\/Export\?/);
    const sheet = await d.files.get({ fileId: id('Word list'), fields: 'exportLinks' });
    expect(sheet.data.exportLinks?.['text/csv']).toMatch(/\/spreadsheets\/export\?/);
  });

  it('every provider serves the files: 30 MiB PDF, encrypted PDF, zip bomb; revisions move with an edit', async () => {
    const google = drive(sandbox.control.issueTokens('google_drive').accessToken);
    const book = sandbox.control.fileId('google_drive', '/Brand kit/annual-brand-book.pdf');
    const meta = await google.files.get({ fileId: book, fields: 'size,version,headRevisionId' });
    expect(Number(meta.data.size)).toBeGreaterThan(30 * 1024 * 1024);
    const before = { version: meta.data.version, head: meta.data.headRevisionId };

    const dbx = new Dropbox({
      accessToken: sandbox.control.issueTokens('dropbox').accessToken,
      fetch: dropboxFetch(),
    });
    const names = (
      await dbx.filesListFolder({ path: sandbox.control.fileId('dropbox', '/Brand kit') })
    ).result.entries
      .map((e) => e.name)
      .sort();
    expect(names).toEqual([
      'annual-brand-book.pdf',
      'bomb.docx',
      'guidelines.pdf',
      'locked.pdf',
      'pitch.pptx',
      'tone-of-voice.docx',
    ]);
    const locked = await dbx.filesDownload({
      path: sandbox.control.fileId('dropbox', '/Brand kit/locked.pdf'),
    });
    expect((locked.result as unknown as { fileBinary: Buffer }).fileBinary.toString('latin1')).toContain(
      '/Encrypt',
    );
    const bombId = sandbox.control.fileId('dropbox', '/Brand kit/bomb.docx');
    const bomb = (await dbx.filesDownload({ path: bombId })).result as unknown as {
      fileBinary: Buffer;
      rev: string;
    };
    expect(bomb.fileBinary.length).toBeLessThan(256 * 1024);
    expect(isZip(bomb.fileBinary)).toBe(true);

    const graphToken = sandbox.control.issueTokens('onedrive').accessToken;
    const item = async (path: string) =>
      (await (
        await fetch(
          `${sandbox.endpoints.onedrive.graphBaseUrl}v1.0/me/drive/items/${sandbox.control.fileId('onedrive', path)}`,
          { headers: { authorization: `Bearer ${graphToken}` } },
        )
      ).json()) as { cTag: string; eTag: string; size: number };
    const pitch = await item('/Brand kit/pitch.pptx');

    sandbox.control.reviseFile('google_drive', '/Brand kit/annual-brand-book.pdf');
    sandbox.control.reviseFile('dropbox', '/Brand kit/bomb.docx', { content: Buffer.from('now plain text') });
    sandbox.control.reviseFile('onedrive', '/Brand kit/pitch.pptx');
    const after = await google.files.get({ fileId: book, fields: 'version,headRevisionId' });
    expect(after.data.version).not.toBe(before.version);
    expect(after.data.headRevisionId).not.toBe(before.head);
    const revised = (await dbx.filesGetMetadata({ path: bombId })).result as { rev: string; size: number };
    expect(revised.rev).not.toBe(bomb.rev);
    expect(revised.size).toBe('now plain text'.length);
    const pitchAfter = await item('/Brand kit/pitch.pptx');
    expect(pitchAfter.cTag).not.toBe(pitch.cTag);
    expect(pitchAfter.eTag).not.toBe(pitch.eTag);
  });
});
