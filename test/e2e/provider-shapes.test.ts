import { afterEach, describe, expect, it } from 'vitest';
import { SHARED_VOICE_TEXT } from '#local/sandbox/files';
import { PERSONAL_MICROSOFT_ACCOUNT } from '#local/sandbox/state';
import type { CloudFile, Provider } from '#shared/providers/types';
import { connectProvider, storedConnection } from '../support/connect.ts';
import { type ApiResponse, type TestStack, type TestUser, useTestStack } from '../support/stack.ts';

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

// One stack per file: each stack's sandbox has its own CA and endpoints, set process-wide.
const stack = useTestStack();
afterEach(() => stack().sandbox!.control.reset());

interface Asset {
  id: string;
  status: string;
  content: string;
  sourceFileId: string | null;
}

/** Imports a file (202, copied by the document worker) and waits until the asset is ready or failed. */
async function importAndSettle(user: TestUser, provider: Provider, fileId: string): Promise<Asset> {
  const s = stack();
  const created = await s.api<{ asset: Asset }>('POST', '/brand-voice-assets/import', {
    token: user.accessToken,
    body: { provider, fileId, category: 'tone_of_voice' },
  });
  expect([200, 202]).toContain(created.status);
  const get = () =>
    s.api<Asset>('GET', `/brand-voice-assets/${created.body.asset.id}`, { token: user.accessToken });
  await s.documents.queue.idle();
  let asset = (await get()).body;
  for (let i = 0; i < 200 && asset.status === 'processing'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    await s.documents.queue.idle();
    asset = (await get()).body;
  }
  return asset;
}

describe('token responses in the shapes providers really send (issue 22)', () => {
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
  it('a Dropbox refresh answers only access_token, token_type, expires_in: the stored refresh token and scopes are kept', async () => {
    const s = stack();
    expect(s.sandbox!.control.behaviour('dropbox').minimalRefreshResponse).toBe(true);
    const user = await s.createUser();
    await connectProvider(s, user, 'dropbox');
    const before = (await storedConnection(s, user.userId, 'dropbox'))!;
    expect(before.tokens.scope).toContain('files.content.read');
    s.sandbox!.control.expireAccessTokens('dropbox');
    const refreshes = s.sandbox!.control.tokenCalls('dropbox', 'refresh_token');

    const list = await s.api('GET', '/cloud-storage/dropbox/files', { token: user.accessToken });
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
    const list = await s.api<{ items: CloudFile[] }>('GET', '/cloud-storage/google_drive/files', {
      token: user.accessToken,
    });
    expect(list.status).toBe(200);
    const byName = new Map(list.body.items.map((f) => [f.name, f]));
    expect(byName.get('Meeting notes')).toMatchObject({
      mimeType: 'application/vnd.google-apps.document',
      size: null,
    });
    expect(byName.get('readme.txt')?.size).toBe('Hello from the provider sandbox.\n'.length);
  });
});

describe('Dropbox revocation after the 4-hour access token expired (issue 22, finding 8)', () => {
  it('the fake refuses a revoke with an expired token (401 expired_access_token) and the grant lives on', async () => {
    const s = stack();
    const { accessToken, refreshToken } = s.sandbox!.control.issueTokens('dropbox');
    s.sandbox!.control.expireAccessTokens('dropbox');
    const res = await fetch(s.sandbox!.endpoints.dropbox.revokeUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { '.tag': string } }).error['.tag']).toBe('expired_access_token');
    expect(s.sandbox!.control.tokenStatus('dropbox', refreshToken!)).toBe('active');
  });

  it('disconnect renews the expired access token and revokes: the refresh token is dead at Dropbox', async () => {
    const s = stack();
    const user = await s.createUser();
    await connectProvider(s, user, 'dropbox');
    const stored = (await storedConnection(s, user.userId, 'dropbox'))!;
    s.sandbox!.control.expireAccessTokens('dropbox');

    const del = await s.api('DELETE', '/cloud-storage/connections/dropbox', { token: user.accessToken });
    expect(del.status).toBe(204);
    expect(s.sandbox!.control.revocations('dropbox')).toHaveLength(1);
    expect(s.sandbox!.control.tokenStatus('dropbox', stored.tokens.refreshToken!)).toBe('revoked');
    // The renewed access token died with the grant; nothing of it was stored.
    expect(await storedConnection(s, user.userId, 'dropbox')).toBeUndefined();
  });

  it('account deletion (DELETE /auth/me) does the same for every connection', async () => {
    const s = stack();
    const user = await s.createUser();
    await connectProvider(s, user, 'dropbox');
    await connectProvider(s, user, 'google_drive');
    const dropbox = (await storedConnection(s, user.userId, 'dropbox'))!;
    const google = (await storedConnection(s, user.userId, 'google_drive'))!;
    s.sandbox!.control.expireAccessTokens();

    const del = await s.api('DELETE', '/auth/me', { token: user.accessToken });
    expect(del.status).toBe(204);
    expect(s.sandbox!.control.tokenStatus('dropbox', dropbox.tokens.refreshToken!)).toBe('revoked');
    expect(s.sandbox!.control.tokenStatus('google_drive', google.tokens.refreshToken!)).toBe('revoked');
  });

  it('a grant that is already dead at Dropbox (refresh answers invalid_grant) still disconnects', async () => {
    const s = stack();
    const user = await s.createUser();
    await connectProvider(s, user, 'dropbox');
    s.sandbox!.control.expireAccessTokens('dropbox');
    s.sandbox!.control.revokeRefreshTokens('dropbox');
    const del = await s.api('DELETE', '/cloud-storage/connections/dropbox', { token: user.accessToken });
    expect(del.status).toBe(204);
    expect(await storedConnection(s, user.userId, 'dropbox')).toBeUndefined();
  });
});

describe('Dropbox throttles simultaneous identical listings (issue 22, finding 5)', () => {
  it('50 concurrent listings of one folder all succeed: identical ones in flight share one list_folder', async () => {
    const s = stack();
    expect(s.sandbox!.control.behaviour('dropbox').throttleIdenticalListings).toBe(true);
    const user = await s.createUser();
    await connectProvider(s, user, 'dropbox');
    const batch = s.sandbox!.control.fileId('dropbox', '/Batch');
    const before = s.sandbox!.control.apiCalls('dropbox', 'list_folder').length;

    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        s.api<{ items: CloudFile[] }>('GET', `/cloud-storage/dropbox/files?folderId=${batch}`, {
          token: user.accessToken,
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    for (const r of results) expect(r.body.items).toHaveLength(7);
    // Never two identical listings at Dropbox at once, so never refused; far fewer calls than requests.
    const calls = s.sandbox!.control.apiCalls('dropbox', 'list_folder').slice(before);
    expect(calls.every((c) => c.status === 200)).toBe(true);
    expect(calls.length).toBeLessThan(50);
  });

  it('a throttled listing with a short Retry-After is retried once after it (a long one stays the client’s: cloud-files.test.ts)', async () => {
    const s = stack();
    const user = await s.createUser();
    await connectProvider(s, user, 'dropbox');
    const before = s.sandbox!.control.apiCalls('dropbox', 'list_folder').length;
    s.sandbox!.control.failNextApiCalls(
      'dropbox',
      { kind: 'rate_limited', retryAfterSeconds: 1 },
      { endpoint: 'list_folder' },
    );
    const started = Date.now();
    const ok = await s.api('GET', '/cloud-storage/dropbox/files', { token: user.accessToken });
    expect(ok.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(
      s
        .sandbox!.control.apiCalls('dropbox', 'list_folder')
        .slice(before)
        .map((c) => c.status),
    ).toEqual([429, 200]);
  });
});

describe('scope enforcement in the fakes: consent withdrawn after connecting (issue 22, finding 10)', () => {
  const FILE_SCOPE: Record<Provider, string> = {
    google_drive: 'https://www.googleapis.com/auth/drive.readonly',
    onedrive: 'Files.Read',
    dropbox: 'files.metadata.read',
  };
  const REFUSAL: Record<Provider, { endpoint: string; status: number }> = {
    google_drive: { endpoint: 'files.list', status: 403 },
    onedrive: { endpoint: 'children', status: 403 },
    dropbox: { endpoint: 'list_folder', status: 401 },
  };

  for (const provider of ['google_drive', 'onedrive', 'dropbox'] as const) {
    it(`${provider}: the provider refuses the missing scope → 409 reauth-required, needs_reauth (scopes_missing), no more calls`, async () => {
      const s = stack();
      expect(s.sandbox!.control.behaviour(provider).enforceScopes).toBe(true);
      const user = await s.createUser();
      await connectProvider(s, user, provider);
      expect(
        (await s.api('GET', `/cloud-storage/${provider}/files`, { token: user.accessToken })).status,
      ).toBe(200);
      s.sandbox!.control.withdrawScopes(provider, [FILE_SCOPE[provider]]);
      const { endpoint, status } = REFUSAL[provider];
      const before = s.sandbox!.control.apiCalls(provider, endpoint).length;

      const res = await s.api<{ type: string }>('GET', `/cloud-storage/${provider}/files`, {
        token: user.accessToken,
      });
      expect(res.status).toBe(409);
      expect(res.body.type).toMatch(/reauth-required$/);
      expect(
        s
          .sandbox!.control.apiCalls(provider, endpoint)
          .slice(before)
          .map((c) => c.status),
      ).toEqual([status]);
      const connections = await s.api<{
        connections: Array<{ status: string; lastError: string | null; health: { reason: string | null } }>;
      }>('GET', '/cloud-storage/connections', { token: user.accessToken });
      expect(connections.body.connections[0]).toMatchObject({
        status: 'needs_reauth',
        lastError: 'missing_scope',
        health: { reason: 'scopes_missing' },
      });
      // Needs the user now: the provider is not asked again.
      const again = await s.api('GET', `/cloud-storage/${provider}/files`, { token: user.accessToken });
      expect(again.status).toBe(409);
      expect(s.sandbox!.control.apiCalls(provider, endpoint).length).toBe(before + 1);
    });
  }
});

describe('Microsoft personal accounts (issue 22, finding 6)', () => {
  it('mail is null, the id 16 hex digits, item ids HEX!n: connect shows the address, browsing, paging and import work', async () => {
    const s = stack();
    const user = await s.createUser();
    await connectProvider(s, user, 'onedrive', { email: PERSONAL_MICROSOFT_ACCOUNT.email });
    // What the fake's /me answered: no mail, the address only as the user principal name.
    const token = (await storedConnection(s, user.userId, 'onedrive'))!.tokens.accessToken;
    const me = (await (
      await fetch(`${s.sandbox!.endpoints.onedrive.graphBaseUrl}v1.0/me`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { mail: string | null; userPrincipalName: string; id: string };
    expect(me).toMatchObject({ mail: null, userPrincipalName: PERSONAL_MICROSOFT_ACCOUNT.email });
    expect(me.id).toMatch(/^[0-9a-f]{16}$/);

    const connections = await s.api<{ connections: Array<{ accountId: string; accountEmail: string }> }>(
      'GET',
      '/cloud-storage/connections',
      { token: user.accessToken },
    );
    expect(connections.body.connections[0]).toMatchObject({
      accountId: PERSONAL_MICROSOFT_ACCOUNT.id,
      accountEmail: PERSONAL_MICROSOFT_ACCOUNT.email,
    });

    const root = await s.api<{ items: CloudFile[] }>('GET', '/cloud-storage/onedrive/files', {
      token: user.accessToken,
    });
    expect(root.status).toBe(200);
    const batch = root.body.items.find((f) => f.name === 'Batch')!;
    expect(batch.id).toMatch(/^[0-9A-F]{16}![0-9]+$/);

    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = new URLSearchParams({
        folderId: batch.id,
        limit: '3',
        ...(cursor ? { cursor } : {}),
      }).toString();
      const page: { status: number; body: { items: CloudFile[]; nextCursor: string | null } } = await s.api(
        'GET',
        `/cloud-storage/onedrive/files?${qs}`,
        { token: user.accessToken },
      );
      expect(page.status).toBe(200);
      for (const f of page.body.items) expect(f.parentId).toBe(batch.id);
      names.push(...page.body.items.map((f) => f.name));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(names).toHaveLength(7);

    const notes = s.sandbox!.control.fileId('onedrive', '/Projects/notes.txt', PERSONAL_MICROSOFT_ACCOUNT.id);
    expect(notes).toContain('!');
    const imported = await importAndSettle(user, 'onedrive', notes);
    expect(imported).toMatchObject({ status: 'ready', sourceFileId: notes });
    expect(imported.content).toContain('Project notes');
  });
});

describe('Google shared drives and shortcuts (issue 22, finding 9)', () => {
  interface Page {
    items: CloudFile[];
    nextCursor: string | null;
  }
  const list = (s: TestStack, user: TestUser, query: Record<string, string> = {}) => {
    const qs = new URLSearchParams(query).toString();
    return s.api<Page>('GET', `/cloud-storage/google_drive/files${qs ? `?${qs}` : ''}`, {
      token: user.accessToken,
    });
  };
  it('shared drives are roots next to My Drive; browsing and importing from them work; shortcuts resolve to their target', async () => {
    const s = stack();
    expect(s.sandbox!.control.behaviour('google_drive').sharedDrivesNeedAllDrivesParams).toBe(true);
    const user = await s.createUser();
    await connectProvider(s, user, 'google_drive');
    const id = (path: string) => s.sandbox!.control.fileId('google_drive', path);
    const sharedDriveId = id('shared:/Brand team');

    // The root: My Drive's items, then the shared drive as a root (marked), all in one page.
    const root = await list(s, user);
    expect(root.status).toBe(200);
    expect(root.body.nextCursor).toBeNull();
    const byName = new Map(root.body.items.map((f) => [f.name, f]));
    expect(byName.get('Brand team')).toEqual({
      id: sharedDriveId,
      name: 'Brand team',
      isFolder: true,
      mimeType: 'application/vnd.google-apps.folder',
      size: null,
      modifiedAt: expect.any(String),
      webUrl: `https://drive.google.com/drive/folders/${sharedDriveId}`,
      parentId: null,
      revision: null,
      importable: false,
      sharedDrive: true,
    });
    expect(byName.get('Projects')).not.toHaveProperty('sharedDrive');
    // Shortcuts are shown as their targets, under their own names.
    expect(byName.get('Brand guidelines')).toMatchObject({
      id: id('shared:/Brand team/Guidelines'),
      isFolder: true,
      mimeType: 'application/vnd.google-apps.folder',
    });
    expect(byName.get('Voice')).toMatchObject({
      id: id('shared:/Brand team/Guidelines/voice.txt'),
      isFolder: false,
      mimeType: 'text/plain',
    });

    // Browsing the shared drive and its folder (reached through the shortcut's id).
    const drive = await list(s, user, { folderId: sharedDriveId });
    expect(drive.status).toBe(200);
    expect(drive.body.items.map((f) => [f.name, f.parentId])).toEqual([
      ['Guidelines', sharedDriveId],
      ['palette.txt', sharedDriveId],
    ]);
    const guidelines = await list(s, user, { folderId: byName.get('Brand guidelines')!.id });
    expect(guidelines.body.items.map((f) => f.name)).toEqual(['Brand book', 'voice.txt']);

    // Importing from the shared drive: a text file (through the id its shortcut is listed with) and a Google
    // Doc (exported).
    const voice = await importAndSettle(user, 'google_drive', byName.get('Voice')!.id);
    expect(voice.status).toBe('ready');
    expect(voice.content).toContain(SHARED_VOICE_TEXT.trim());
    const book = guidelines.body.items.find((f) => f.name === 'Brand book')!;
    const imported = await importAndSettle(user, 'google_drive', book.id);
    expect(imported.status).toBe('ready');
    expect(imported.content).toContain('Our voice is warm');
  });

  it('a root larger than a page: My Drive pages first, the shared drives follow', async () => {
    const s = stack();
    const user = await s.createUser();
    await connectProvider(s, user, 'google_drive');
    const names: string[] = [];
    const shared: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: ApiResponse<Page> = await list(s, user, {
        limit: '4',
        ...(cursor ? { cursor } : {}),
      });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(4);
      names.push(...page.body.items.map((f) => f.name));
      shared.push(...page.body.items.filter((f) => f.sharedDrive).map((f) => f.name));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 20);
    expect(shared).toEqual(['Brand team']);
    expect(names.at(-1)).toBe('Brand team');
    expect(new Set(names).size).toBe(names.length);
  });
});
