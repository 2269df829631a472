import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CloudFile, PROVIDERS, type Provider } from '#shared/providers/types';
import { connectProvider, endRefreshBackoff, storedConnection } from '../support/connect.ts';
import { type ApiResponse, type TestUser, useTestStack } from '../support/stack.ts';

// Retries without waiting: the backoff itself is unit-tested; here only the number of attempts matters.
process.env.PROVIDER_RETRY_BASE_MS = '0';

interface FilesPage {
  items: CloudFile[];
  nextCursor: string | null;
}
interface Problem {
  type: string;
  status: number;
  detail?: string;
  reason?: string;
  errors?: Array<{ path: string; message: string }>;
}
interface Asset {
  id: string;
  title: string;
  category: string;
  content: string;
  status: string;
  source: string;
  sourceFileId: string | null;
  file: { name: string; mimeType: string } | null;
}

/** The sandbox endpoint names that move file bytes, per provider (Graph: /content and the download URL). */
const DOWNLOAD_ENDPOINTS: Record<Provider, string[]> = {
  google_drive: ['files.download', 'files.export', 'files.exportLink'],
  onedrive: ['content', 'download_url'],
  dropbox: ['download'],
};
const LIST_ENDPOINT: Record<Provider, string> = {
  google_drive: 'files.list',
  onedrive: 'children',
  dropbox: 'list_folder',
};

describe('cloud files: listing, import and refresh on use (sandbox providers)', () => {
  // In AWS each concurrent request is its own Lambda with its own connection; the local stack runs them all in
  // this process on one pool. Fifty concurrent listings wait on one row lock, each holding its connection, so
  // the pool is sized like fifty Lambdas instead of timing out checkouts on a busy machine (a local artefact).
  beforeAll(() => {
    vi.stubEnv('DB_POOL_MAX', '60');
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });
  const stack = useTestStack();
  const control = () => stack().sandbox!.control;

  async function connectedUser(provider: Provider, options: { email?: string } = {}): Promise<TestUser> {
    const user = await stack().createUser();
    await connectProvider(stack(), user, provider, options);
    return user;
  }

  function listFiles(
    user: TestUser,
    provider: string,
    query: Record<string, string | number> = {},
  ): Promise<ApiResponse<FilesPage & Problem>> {
    const qs = new URLSearchParams(
      Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    return stack().api('GET', `/cloud-storage/${provider}/files${qs ? `?${qs}` : ''}`, {
      token: user.accessToken,
    });
  }

  function importFile(
    user: TestUser,
    body: Record<string, unknown>,
  ): Promise<ApiResponse<{ asset: Asset } & Problem>> {
    return stack().api('POST', '/brand-voice-assets/import', { token: user.accessToken, body });
  }

  /** The asset once the document worker has copied and extracted it. */
  async function settled(user: TestUser, id: string): Promise<Asset> {
    const get = () => stack().api<Asset>('GET', `/brand-voice-assets/${id}`, { token: user.accessToken });
    await stack().documents.queue.idle();
    let asset = (await get()).body;
    for (let i = 0; i < 200 && asset.status === 'processing'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await stack().documents.queue.idle();
      asset = (await get()).body;
    }
    return asset;
  }

  const downloads = (provider: Provider) =>
    DOWNLOAD_ENDPOINTS[provider].reduce((n, e) => n + control().apiCalls(provider, e).length, 0);

  async function auditActions(user: TestUser): Promise<string[]> {
    const res = await stack().api<{ items: Array<{ action: string }> }>('GET', '/audit-log?limit=100', {
      token: user.accessToken,
    });
    return res.body.items.map((i) => i.action);
  }

  describe.each(PROVIDERS)('%s', (provider) => {
    it('lists the root with folders flagged, and a folder in three pages, each once and in order', async () => {
      const user = await connectedUser(provider);
      const root = await listFiles(user, provider);
      expect(root.status).toBe(200);
      expect(root.body.nextCursor).toBeNull();
      const byName = new Map(root.body.items.map((f) => [f.name, f]));
      for (const folder of ['Projects', 'Batch', 'Empty']) {
        expect(byName.get(folder), folder).toMatchObject({ isFolder: true, size: null, importable: false });
      }
      const readme = byName.get('readme.txt')!;
      // API.md's CloudFile, exactly.
      expect(Object.keys(readme).sort()).toEqual(
        [
          'id',
          'name',
          'isFolder',
          'mimeType',
          'size',
          'modifiedAt',
          'webUrl',
          'parentId',
          'revision',
          'importable',
        ].sort(),
      );
      expect(readme).toMatchObject({
        id: control().fileId(provider, '/readme.txt'),
        isFolder: false,
        mimeType: 'text/plain',
        size: 'Hello from the provider sandbox.\n'.length,
        modifiedAt: expect.stringMatching(/^2025-01-15T09:30:00/),
        revision: expect.any(String),
        importable: true,
      });
      // An image has no text to import.
      expect(byName.get('logo.png')).toMatchObject({
        isFolder: false,
        mimeType: 'image/png',
        importable: false,
      });

      const batch = control().fileId(provider, '/Batch');
      const listCalls = control().apiCalls(provider, LIST_ENDPOINT[provider]).length;
      const continuations =
        provider === 'dropbox' ? control().apiCalls(provider, 'list_folder/continue').length : 0;
      const pages: string[][] = [];
      const tokens: string[] = [];
      let cursor: string | null = null;
      do {
        const res: ApiResponse<FilesPage & Problem> = await listFiles(user, provider, {
          folderId: batch,
          limit: 3,
          ...(cursor ? { cursor } : {}),
        });
        expect(res.status).toBe(200);
        for (const f of res.body.items) expect(f).toMatchObject({ isFolder: false, parentId: batch });
        pages.push(res.body.items.map((f) => f.name));
        cursor = res.body.nextCursor;
        if (cursor) tokens.push(cursor);
      } while (cursor && pages.length < 10);
      expect(pages).toEqual([
        ['file-01.txt', 'file-02.txt', 'file-03.txt'],
        ['file-04.txt', 'file-05.txt', 'file-06.txt'],
        ['file-07.txt'],
      ]);
      // One provider request per page: nothing fetched twice, nothing read ahead.
      const calls =
        control().apiCalls(provider, LIST_ENDPOINT[provider]).length -
        listCalls +
        (provider === 'dropbox'
          ? control().apiCalls(provider, 'list_folder/continue').length - continuations
          : 0);
      expect(calls).toBe(3);

      // The page token belongs to this provider and folder; anything else is a 400, not a provider call.
      const elsewhere = await listFiles(user, provider, { cursor: tokens[0]! });
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body.errors?.[0]?.path).toBe('cursor');
      const tampered = await listFiles(user, provider, { folderId: batch, cursor: `${tokens[0]}x!` });
      expect(tampered.status).toBe(400);
      const otherProvider = PROVIDERS.find((p) => p !== provider)!;
      const forged = Buffer.from(
        JSON.stringify({ v: 1, p: otherProvider, f: batch, t: 'anything' }),
      ).toString('base64url');
      expect((await listFiles(user, provider, { folderId: batch, cursor: forged })).status).toBe(400);

      expect((await storedConnection(stack(), user.userId, provider))!.lastUsedAt).not.toBeNull();
    });

    it('imports a text file as a brand voice asset (202, then ready); refuses an unsupported type and a folder (400)', async () => {
      const user = await connectedUser(provider);
      const fileId = control().fileId(provider, '/readme.txt');
      const created = await importFile(user, { provider, fileId, category: 'tone_of_voice' });
      expect(created.status).toBe(202);
      expect(created.body.asset).toMatchObject({
        title: 'readme.txt',
        category: 'tone_of_voice',
        content: '',
        status: 'processing',
        source: provider,
        sourceFileId: fileId,
      });
      // The static import path did not shadow the {id} routes.
      const ready = await settled(user, created.body.asset.id);
      expect(ready).toMatchObject({ id: created.body.asset.id, status: 'ready', source: provider });
      expect(ready.content).toContain('Hello from the provider sandbox.');

      const titled = await importFile(user, {
        provider,
        fileId: control().fileId(provider, '/Projects/notes.txt'),
        category: 'messaging',
        title: 'Project notes',
      });
      expect(titled.status).toBe(202);
      expect(titled.body.asset).toMatchObject({ title: 'Project notes' });
      expect((await settled(user, titled.body.asset.id)).content).toContain('Project notes');

      const before = downloads(provider);
      const binary = await importFile(user, {
        provider,
        fileId: control().fileId(provider, '/logo.png'),
        category: 'other',
      });
      expect(binary.status).toBe(400);
      expect(binary.body.type).toMatch(/validation-error$/);
      expect(binary.body.errors).toEqual([{ path: 'fileId', message: 'Not a supported file type' }]);
      // Refused from its metadata: not a byte was downloaded.
      expect(downloads(provider)).toBe(before);

      const folder = await importFile(user, {
        provider,
        fileId: control().fileId(provider, '/Batch'),
        category: 'other',
      });
      expect(folder.status).toBe(400);
      const list = await stack().api<{ items: Asset[] }>('GET', '/brand-voice-assets', {
        token: user.accessToken,
      });
      expect(list.body.items.map((a) => a.title).sort()).toEqual(['Project notes', 'readme.txt']);
      expect((await auditActions(user)).filter((a) => a === 'brand_voice_asset.imported')).toHaveLength(2);
    });

    it('50 concurrent listings on an expired access token cause exactly one refresh, and all succeed', async () => {
      const user = await connectedUser(provider);
      const before = await storedConnection(stack(), user.userId, provider);
      const refreshes = control().tokenCalls(provider, 'refresh_token');
      control().expireAccessTokens(provider);

      const results = await Promise.all(Array.from({ length: 50 }, () => listFiles(user, provider)));
      expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
      expect(control().tokenCalls(provider, 'refresh_token') - refreshes).toBe(1);

      const after = (await storedConnection(stack(), user.userId, provider))!;
      expect(after.tokens.accessToken).not.toBe(before!.tokens.accessToken);
      expect(control().tokenStatus(provider, after.tokens.accessToken)).toBe('active');
      const request = control().lastTokenRequest(provider)!;
      expect(request.params.refresh_token).toBe(before!.tokens.refreshToken);
      if (provider === 'onedrive') {
        // Microsoft rotated the refresh token: the new one is stored, the old one is gone from the row.
        expect(after.tokens.refreshToken).not.toBe(before!.tokens.refreshToken);
        expect(control().tokenStatus(provider, after.tokens.refreshToken!)).toBe('active');
      } else {
        expect(after.tokens.refreshToken).toBe(before!.tokens.refreshToken);
      }
    });

    it('a dead refresh token (invalid_grant) → 409 reauth-required, needs_reauth, audited; no more provider calls', async () => {
      const user = await connectedUser(provider);
      control().revokeRefreshTokens(provider);
      control().expireAccessTokens(provider);
      const res = await listFiles(user, provider);
      expect(res.status).toBe(409);
      expect(res.body.type).toMatch(/reauth-required$/);
      // The health reason (our words' key, not the provider's text) tells the client what to do.
      expect(res.body.reason).toBe('invalid_grant');
      expect(res.body.detail).toMatch(/reconnect it/);
      expect(res.text).not.toMatch(/AADSTS/);

      const connections = await stack().api<{
        connections: Array<{ provider: string; status: string; lastError: string }>;
      }>('GET', '/cloud-storage/connections', { token: user.accessToken });
      expect(connections.body.connections).toEqual([
        expect.objectContaining({ provider, status: 'needs_reauth', lastError: 'invalid_grant' }),
      ]);
      const audit = await stack().api<{
        items: Array<{ action: string; metadata: Record<string, unknown> }>;
      }>('GET', '/audit-log?limit=100', { token: user.accessToken });
      expect(audit.body.items).toContainEqual(
        expect.objectContaining({
          action: 'cloud_storage.refresh_failed',
          metadata: expect.objectContaining({ reason: 'needs_reauth', errorCode: 'invalid_grant' }),
        }),
      );

      const apiCalls = control().apiCalls(provider).length;
      const tokenCalls = control().tokenCalls(provider);
      const again = await importFile(user, {
        provider,
        fileId: control().fileId(provider, '/readme.txt'),
        category: 'other',
      });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ reason: 'invalid_grant' });
      expect(again.body.type).toMatch(/reauth-required$/);
      expect(control().apiCalls(provider).length).toBe(apiCalls);
      expect(control().tokenCalls(provider)).toBe(tokenCalls);
    });

    if (provider === 'onedrive') {
      it("AADSTS65001 on refresh → 409 reauth-required with reason admin_consent_required: ask the admin, don't reconnect", async () => {
        const user = await connectedUser(provider);
        control().failNextTokenCalls(provider, {
          kind: 'oauth_error',
          error: 'invalid_grant',
          aadsts: 65001,
        });
        control().expireAccessTokens(provider);
        for (const res of [await listFiles(user, provider), await listFiles(user, provider)]) {
          expect(res.status).toBe(409);
          expect(res.body).toMatchObject({ reason: 'admin_consent_required' });
          expect(res.body.detail).toMatch(/admin must approve this app for OneDrive/);
          expect(res.text).not.toMatch(/AADSTS|65001/);
        }
        const connections = await stack().api<{ connections: Array<{ status: string }> }>(
          'GET',
          '/cloud-storage/connections',
          { token: user.accessToken },
        );
        expect(connections.body.connections).toEqual([
          expect.objectContaining({ provider, status: 'needs_admin_consent' }),
        ]);
      });
    }

    it("a provider 429 → 429 with the provider's Retry-After; no retry", async () => {
      const user = await connectedUser(provider);
      const calls = control().apiCalls(provider, LIST_ENDPOINT[provider]).length;
      control().failNextApiCalls(provider, { kind: 'rate_limited', retryAfterSeconds: 7 });
      const res = await listFiles(user, provider);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.body.type).toMatch(/rate-limited$/);
      expect(control().apiCalls(provider, LIST_ENDPOINT[provider]).length - calls).toBe(1);
      expect((await listFiles(user, provider)).status).toBe(200);
    });

    it('a provider failing twice with 500 then answering → 200; failing three times → 502 without provider text', async () => {
      const user = await connectedUser(provider);
      const endpoint = LIST_ENDPOINT[provider];
      const calls = () =>
        control()
          .apiCalls(provider, endpoint)
          .map((c) => c.status);
      const start = calls().length;
      control().failNextApiCalls(provider, { kind: 'server_error' }, { count: 2, endpoint });
      const ok = await listFiles(user, provider);
      expect(ok.status).toBe(200);
      expect(calls().slice(start)).toEqual([500, 500, 200]);

      const next = calls().length;
      control().failNextApiCalls(provider, { kind: 'server_error' }, { count: 3, endpoint });
      const failed = await listFiles(user, provider);
      expect(failed.status).toBe(502);
      expect(failed.body.type).toMatch(/provider-error$/);
      expect(failed.text).not.toMatch(/Internal|internalError|generalException|unspecified/);
      // Bounded: the first attempt and two retries.
      expect(calls().slice(next)).toEqual([500, 500, 500]);
    });
  });

  it('Google Docs are exported as DOCX and extracted', async () => {
    const user = await connectedUser('google_drive');
    const fileId = control().fileId('google_drive', '/Meeting notes');
    const res = await importFile(user, { provider: 'google_drive', fileId, category: 'sample_content' });
    expect(res.status).toBe(202);
    const asset = await settled(user, res.body.asset.id);
    expect(asset).toMatchObject({
      title: 'Meeting notes',
      status: 'ready',
      source: 'google_drive',
      sourceFileId: fileId,
      file: {
        name: 'Meeting notes.docx',
        mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      },
    });
    expect(asset.content).toContain('Ship the sandbox');
    expect(control().apiCalls('google_drive', 'files.export').at(-1)?.status).toBe(200);
  });

  it("a Google Doc over Drive's export cap (403 exportSizeLimitExceeded) is copied through its exportLinks", async () => {
    const user = await connectedUser('google_drive');
    // The sandbox's cap shrunk below the seeded Doc's size: the export answers as Drive does over 10 MB.
    control().configure('google_drive', { exportSizeLimitBytes: 16 });
    try {
      const fileId = control().fileId('google_drive', '/Meeting notes');
      const links = control().apiCalls('google_drive', 'files.exportLink').length;
      const res = await importFile(user, { provider: 'google_drive', fileId, category: 'sample_content' });
      expect(res.status).toBe(202);
      const asset = await settled(user, res.body.asset.id);
      expect(control().apiCalls('google_drive', 'files.export').at(-1)?.status).toBe(403);
      expect(control().apiCalls('google_drive', 'files.exportLink').length - links).toBe(1);
      expect(asset.status).toBe('ready');
      expect(asset.content).toContain('Connect every provider');
    } finally {
      control().configure('google_drive', { exportSizeLimitBytes: 10_000_000 });
    }
  });

  it("Drive's 403 userRateLimitExceeded → 429 with a default Retry-After", async () => {
    const user = await connectedUser('google_drive');
    control().failNextApiCalls('google_drive', { kind: 'user_rate_limit' });
    const res = await listFiles(user, 'google_drive');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.text).not.toMatch(/User Rate Limit/);
  });

  it('a token expiring within the margin is refreshed before use, once for 20 concurrent calls; the rotated refresh token is stored', async () => {
    // Short-lived access tokens, and Microsoft's stricter mode where a rotated refresh token stops working.
    control().configure('onedrive', { accessTokenTtlSeconds: 60, revokeRotatedRefreshTokens: true });
    try {
      const user = await connectedUser('onedrive');
      // The refreshed token lives an hour: a caller that reads the row after the refresh committed must find
      // it fresh (a 60 s token would be "expiring within the margin" again and rightly refreshed once more).
      control().configure('onedrive', { accessTokenTtlSeconds: 3600 });
      const before = (await storedConnection(stack(), user.userId, 'onedrive'))!;
      const refreshes = control().tokenCalls('onedrive', 'refresh_token');
      const children = control().apiCalls('onedrive', 'children').length;

      const results = await Promise.all(Array.from({ length: 20 }, () => listFiles(user, 'onedrive')));
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(control().tokenCalls('onedrive', 'refresh_token') - refreshes).toBe(1);
      // Refreshed before the calls: the provider never saw the old token. (Identical listings in flight share
      // one provider call, so there are between 1 and 20 of them.)
      const calls = control().apiCalls('onedrive', 'children').slice(children);
      expect(calls.length).toBeGreaterThanOrEqual(1);
      expect(calls.length).toBeLessThanOrEqual(20);
      expect(calls.map((c) => c.status)).toEqual(Array(calls.length).fill(200));

      const after = (await storedConnection(stack(), user.userId, 'onedrive'))!;
      expect(after.tokens.refreshToken).not.toBe(before.tokens.refreshToken);
      expect(control().tokenStatus('onedrive', before.tokens.refreshToken!)).toBe('revoked');
      expect(control().tokenStatus('onedrive', after.tokens.refreshToken!)).toBe('active');
      expect(calls.every((c) => c.bearer === after.tokens.accessToken)).toBe(true);
    } finally {
      control().configure('onedrive', { accessTokenTtlSeconds: 3600, revokeRotatedRefreshTokens: false });
    }
  });

  it('a throttled or failing token endpoint during refresh on use → 429 with Retry-After / 502; after the backoff the next call recovers', async () => {
    const user = await connectedUser('dropbox');
    control().expireAccessTokens('dropbox');
    control().failNextTokenCalls('dropbox', { kind: 'rate_limited', retryAfterSeconds: 9 });
    const refreshes = control().tokenCalls('dropbox', 'refresh_token');
    const throttled = await listFiles(user, 'dropbox');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('9');

    // Within the backoff the token endpoint is left alone: 503 with how long to wait.
    const waiting = await listFiles(user, 'dropbox');
    expect(waiting.status).toBe(503);
    expect(Number(waiting.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(control().tokenCalls('dropbox', 'refresh_token') - refreshes).toBe(1);

    await endRefreshBackoff(stack(), user.userId, 'dropbox');
    control().failNextTokenCalls('dropbox', { kind: 'server_error' });
    const failed = await listFiles(user, 'dropbox');
    expect(failed.status).toBe(502);
    expect(failed.text).not.toMatch(/server_error|temporarily/);
    expect(control().tokenCalls('dropbox', 'refresh_token') - refreshes).toBe(2);

    // Still connected (transient failures never mark the grant dead), and once the backoff is over the next
    // call refreshes.
    await endRefreshBackoff(stack(), user.userId, 'dropbox');
    const ok = await listFiles(user, 'dropbox');
    expect(ok.status).toBe(200);
    const connections = await stack().api<{
      connections: Array<{ status: string; lastError: string | null }>;
    }>('GET', '/cloud-storage/connections', { token: user.accessToken });
    expect(connections.body.connections).toEqual([
      expect.objectContaining({ status: 'active', lastError: null }),
    ]);
  });

  it('bad ids and unknown parameters are 400; an unknown file or folder is 404', async () => {
    const user = await connectedUser('dropbox');
    const badFolder = await listFiles(user, 'dropbox', { folderId: "x' or name contains 'y" });
    expect(badFolder.status).toBe(400);
    expect(badFolder.body.errors?.[0]?.path).toBe('folderId');
    const injected = await listFiles(user, 'google_drive', { folderId: "root' in parents or '1" });
    expect(injected.status).toBe(400);
    expect((await listFiles(user, 'dropbox', { limit: 0 })).status).toBe(400);
    expect((await listFiles(user, 'dropbox', { limit: 101 })).status).toBe(400);
    expect((await listFiles(user, 'icloud')).status).toBe(400);
    const missing = await listFiles(user, 'dropbox', { folderId: 'id:doesNotExist000' });
    expect(missing.status).toBe(404);
    const missingFile = await importFile(user, {
      provider: 'dropbox',
      fileId: 'id:doesNotExist000',
      category: 'other',
    });
    expect(missingFile.status).toBe(404);
    const notAFolder = await listFiles(user, 'dropbox', {
      folderId: control().fileId('dropbox', '/readme.txt'),
    });
    expect(notAFolder.status).toBe(400);
    const noCategory = await importFile(user, { provider: 'dropbox', fileId: 'id:abc' });
    expect(noCategory.status).toBe(400);
    expect(noCategory.body.errors?.map((e) => e.path)).toEqual(['category']);
  });

  it("user B cannot list or import through user A's connection by any parameter", async () => {
    const alice = await stack().createUser();
    for (const provider of PROVIDERS) await connectProvider(stack(), alice, provider);
    const bob = await stack().createUser();
    for (const provider of PROVIDERS) {
      const aliceFile = control().fileId(provider, '/readme.txt');
      expect((await listFiles(bob, provider)).status).toBe(404);
      expect(
        (await listFiles(bob, provider, { folderId: control().fileId(provider, '/Batch') })).status,
      ).toBe(404);
      const imported = await importFile(bob, { provider, fileId: aliceFile, category: 'other' });
      expect(imported.status).toBe(404);

      const withUserId = await listFiles(bob, provider, { userId: alice.userId });
      expect(withUserId.status).toBe(400);
      expect(withUserId.body.errors).toEqual([{ path: 'userId', message: 'Unknown field' }]);
      expect((await listFiles(bob, provider, { user_id: alice.userId })).status).toBe(400);
      const bodyUserId = await importFile(bob, {
        provider,
        fileId: aliceFile,
        category: 'other',
        userId: alice.userId,
        user_id: alice.userId,
      });
      expect(bodyUserId.status).toBe(400);
      expect(bodyUserId.body.errors?.map((e) => e.path).sort()).toEqual(['userId', 'user_id']);
    }

    // Bob connects his own, different account: Alice's file ids are not found through it.
    for (const provider of PROVIDERS) {
      await connectProvider(stack(), bob, provider, { email: `bob.${provider}@example.test` });
      const aliceFile = control().fileId(provider, '/readme.txt');
      const res = await importFile(bob, { provider, fileId: aliceFile, category: 'other' });
      expect(res.status).toBe(404);
      const own = await listFiles(bob, provider);
      expect(own.status).toBe(200);
      expect(own.body.items.map((f) => f.id)).not.toContain(aliceFile);
    }
    const bobAssets = await stack().api<{ items: unknown[] }>('GET', '/brand-voice-assets', {
      token: bob.accessToken,
    });
    expect(bobAssets.body.items).toEqual([]);
  });

  it('tokens never travel in URLs; the OneDrive download URL is fetched without Authorization', async () => {
    const user = await stack().createUser();
    for (const provider of PROVIDERS) {
      await connectProvider(stack(), user, provider);
      expect((await listFiles(user, provider)).status).toBe(200);
      const fileId = control().fileId(provider, '/readme.txt');
      expect((await importFile(user, { provider, fileId, category: 'other' })).status).toBe(202);
    }
    // The copies run in the document worker.
    await stack().documents.queue.idle();
    // Every call of this file's tests so far, this one's included.
    const calls = control().apiCalls();
    expect(calls.length).toBeGreaterThan(10);
    expect(calls.every((c) => !c.tokenInUrl)).toBe(true);
    const downloadUrls = calls.filter((c) => c.endpoint === 'download_url');
    expect(downloadUrls.length).toBeGreaterThan(0);
    expect(downloadUrls.every((c) => !c.authorizationHeader)).toBe(true);
    expect(calls.filter((c) => c.endpoint !== 'download_url').every((c) => c.authorizationHeader)).toBe(true);
    for (const r of control().tokenRequests()) expect(r.paramsInUrl).toEqual([]);
  });
});
