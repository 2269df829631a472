import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { routes } from '#functions/routes';
import type { NextLinkForm } from '#local/sandbox/state';
import { encodePageToken } from '#shared/cloud-storage/files';
import { type CloudFile, PROVIDERS, type Provider } from '#shared/providers/types';
import { connectProvider } from '../support/connect.ts';
import { withClient } from '../support/db.ts';
import { type ApiResponse, type TestStack, type TestUser, useTestStack } from '../support/stack.ts';

/**
 * Issue 15 over HTTP, where every answer is also checked against the OpenAPI document (the stack's contract
 * check): per-user rate limits answer a declared 429 problem with Retry-After; the PKCE verifier is derived,
 * never stored; page tokens are signed and bound to user, provider and folder; OneDrive's next links are followed
 * in every form Graph documents for the caller's own drive, and in no other.
 */
interface FilesPage {
  items: CloudFile[];
  nextCursor: string | null;
}
/** The files listing's path, from the route table (the one place routes are listed). */
const filesPath = (provider: Provider) =>
  routes['cloud-storage/list-files'].path.replace('{provider}', provider);

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** The user's OAuth attempts as stored (the app role under the user's tenant context). */
function attempts(stack: TestStack, userId: string): Promise<Array<Record<string, unknown>>> {
  return withClient(stack.db.appUrl, async (c) => {
    await c.query('begin');
    await c.query("select set_config('app.user_id', $1, true)", [userId]);
    const { rows } = await c.query('select * from oauth_states');
    await c.query('commit');
    return rows;
  });
}

async function callback(stack: TestStack, callbackUrl: URL): Promise<URL> {
  const res = await fetch(`${stack.url}${callbackUrl.pathname}${callbackUrl.search}`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

interface Problem {
  type: string;
  status: number;
  errors?: Array<{ path: string; message: string }>;
}

describe('security hardening over HTTP (sandbox providers)', () => {
  const stack = useTestStack();
  afterEach(() => {
    delete process.env.RATE_LIMIT_UPLOAD;
    delete process.env.RATE_LIMIT_CONNECT;
  });

  const expectRateLimited = (res: ApiResponse<Problem>) => {
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.type).toBe('urn:brand-cloud:problem:rate-limited');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  };

  it('upload starts over the per-user limit → 429 rate-limited with Retry-After, no asset created', async () => {
    process.env.RATE_LIMIT_UPLOAD = '2/60';
    const user = await stack().createUser();
    const start = () =>
      stack().api<Problem>('POST', '/brand-voice-assets/uploads', {
        token: user.accessToken,
        body: {
          title: 'Guide',
          category: 'brand_guidelines',
          fileName: 'g.pdf',
          contentType: 'application/pdf',
          size: 10,
        },
      });
    expect((await start()).status).toBe(201);
    expect((await start()).status).toBe(201);
    expectRateLimited(await start());
    const list = await stack().api<{ items: unknown[] }>('GET', '/brand-voice-assets', {
      token: user.accessToken,
    });
    expect(list.body.items).toHaveLength(2);
    const other = await stack().createUser();
    expect(
      (
        await stack().api('POST', '/brand-voice-assets/uploads', {
          token: other.accessToken,
          body: { title: 'G', category: 'other', fileName: 'g.txt', contentType: 'text/plain', size: 1 },
        })
      ).status,
    ).toBe(201);
  });

  it('connect over the per-user limit → 429 rate-limited with Retry-After', async () => {
    process.env.RATE_LIMIT_CONNECT = '1/60';
    const user = await stack().createUser();
    const connect = () =>
      stack().api<Problem>('GET', '/cloud-storage/connect/dropbox', { token: user.accessToken });
    expect((await connect()).status).toBe(200);
    expectRateLimited(await connect());
  });

  describe('the PKCE verifier is not stored in clear', () => {
    const start = async (user: TestUser) => {
      const res = await stack().api<{ authorizationUrl: string }>('GET', '/cloud-storage/connect/onedrive', {
        token: user.accessToken,
      });
      expect(res.status).toBe(200);
      return new URL(res.body.authorizationUrl);
    };
    const confirm = (user: TestUser, ticket: string) =>
      stack().api('POST', '/cloud-storage/connections/onedrive/confirm', {
        token: user.accessToken,
        body: { ticket },
      });

    it('the attempt row holds no verifier; the callback derives the one the challenge was made of', async () => {
      const user = await stack().createUser();
      const url = await start(user);
      const [row, ...more] = await attempts(stack(), user.userId);
      expect(more).toHaveLength(0);
      expect(row!.code_verifier).toBeNull();

      const target = await callback(stack(), await stack().sandbox!.control.consent(url.href));
      expect(target.searchParams.get('cloud_connect')).toBe('confirm');
      const sent = stack().sandbox!.control.lastTokenRequest('onedrive')!.params.code_verifier!;
      expect(sent).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(s256(sent)).toBe(url.searchParams.get('code_challenge'));
      // Nothing the database held could have completed the code: no column of the attempt carried the verifier.
      expect(JSON.stringify(row)).not.toContain(sent);
      expect((await confirm(user, target.searchParams.get('ticket')!)).status).toBe(200);
    });

    it('an attempt the previous release started (verifier stored with it) still completes after the deploy', async () => {
      const user = await stack().createUser();
      const url = await start(user);
      // What the previous release did: a random verifier stored with the attempt, its S256 in the URL.
      const verifier = 'previous-release-verifier-0123456789-abcdefghijklmnop';
      await withClient(stack().db.appUrl, async (c) => {
        await c.query('begin');
        await c.query("select set_config('app.user_id', $1, true)", [user.userId]);
        const { rows } = await c.query('delete from oauth_states returning *');
        await c.query(
          `insert into oauth_states (state_hash, user_id, provider, code_verifier, redirect_uri, expires_at)
           values ($1, $2, $3, $4, $5, $6)`,
          [
            rows[0].state_hash,
            rows[0].user_id,
            rows[0].provider,
            verifier,
            rows[0].redirect_uri,
            rows[0].expires_at,
          ],
        );
        await c.query('commit');
      });
      url.searchParams.set('code_challenge', s256(verifier));
      const target = await callback(stack(), await stack().sandbox!.control.consent(url.href));
      expect(target.searchParams.get('cloud_connect')).toBe('confirm');
      expect(stack().sandbox!.control.lastTokenRequest('onedrive')!.params.code_verifier).toBe(verifier);
      expect((await confirm(user, target.searchParams.get('ticket')!)).status).toBe(200);
    });
  });

  describe('page tokens', () => {
    const list = (user: TestUser, provider: Provider, query: Record<string, string | number>) =>
      stack().api<FilesPage & Problem>(
        'GET',
        `${filesPath(provider)}?${new URLSearchParams(
          Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
        )}`,
        { token: user.accessToken },
      );
    const providerCalls = () => stack().sandbox!.control.apiCalls().length;
    const expectRefused = async (res: Promise<ApiResponse<FilesPage & Problem>>) => {
      const before = providerCalls();
      const answer = await res;
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(answer.body.errors).toEqual([{ path: 'cursor', message: 'Invalid cursor' }]);
      // Refused before any provider call.
      expect(providerCalls()).toBe(before);
    };

    it.each(PROVIDERS)(
      '%s: a token of another user, provider or folder, altered or forged → 400 naming cursor',
      async (provider) => {
        const alice = await stack().createUser();
        const bob = await stack().createUser();
        await connectProvider(stack(), alice, provider);
        await connectProvider(stack(), bob, provider);
        const batch = stack().sandbox!.control.fileId(provider, '/Batch');
        const first = await list(alice, provider, { folderId: batch, limit: 3 });
        expect(first.status).toBe(200);
        const token = first.body.nextCursor!;
        expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
        // Bob's connection reaches the same sandbox account and folder: only the binding to Alice refuses it.
        await expectRefused(list(bob, provider, { folderId: batch, limit: 3, cursor: token }));
        await expectRefused(list(alice, provider, { limit: 3, cursor: token }));
        // Another provider's listing of the same place (the root: folder ids differ between providers).
        const rootToken = (await list(alice, provider, { limit: 2 })).body.nextCursor!;
        expect(rootToken).toBeTruthy();
        const other = PROVIDERS.find((p) => p !== provider)!;
        await connectProvider(stack(), alice, other);
        await expectRefused(list(alice, other, { limit: 2, cursor: rootToken }));
        const [body, tag] = token.split('.') as [string, string];
        const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
        const altered = Buffer.from(JSON.stringify({ ...payload, t: `${payload.t}x` })).toString('base64url');
        await expectRefused(
          list(alice, provider, { folderId: batch, limit: 3, cursor: `${altered}.${tag}` }),
        );
        const unsigned = Buffer.from(JSON.stringify({ v: 1, p: provider, f: batch, t: payload.t })).toString(
          'base64url',
        );
        await expectRefused(list(alice, provider, { folderId: batch, limit: 3, cursor: unsigned }));
        // The genuine token still works for its owner.
        const second = await list(alice, provider, { folderId: batch, limit: 3, cursor: token });
        expect(second.status).toBe(200);
        expect(second.body.items.map((f) => f.name)).toEqual(['file-04.txt', 'file-05.txt', 'file-06.txt']);
      },
    );

    it('a correctly signed OneDrive continuation is still checked: a path trick after decoding is refused', async () => {
      const user = await stack().createUser();
      await connectProvider(stack(), user, 'onedrive');
      const graph = `${stack().sandbox!.endpoints.onedrive.graphBaseUrl}v1.0`;
      for (const link of [
        `${graph}/me/drive/items/..%2f..%2fusers%2fvictim%2fdrive%2froot/children`,
        `${graph}/me/drive/items/%2e%2e/children`,
        `${graph}/drives/someone-else/root/children`,
        'https://graph.sandbox.invalid/v1.0/me/drive/root/children',
      ]) {
        // What a leaked signing key or a bug in the issuing code would produce: signed, but not a link we follow.
        const token = await encodePageToken(user.userId, 'onedrive', undefined, JSON.stringify({ l: link }));
        await expectRefused(list(user, 'onedrive', { limit: 3, cursor: token }));
      }
    });
  });

  describe('OneDrive next links in every form Graph documents', () => {
    const control = () => stack().sandbox!.control;
    afterEach(() => control().configure('onedrive', { nextLinkForm: 'as_requested' }));

    async function pages(user: TestUser, query: Record<string, string | number>): Promise<string[][]> {
      const out: string[][] = [];
      let cursor: string | null = null;
      do {
        const res: ApiResponse<FilesPage & Problem> = await stack().api(
          'GET',
          `${filesPath('onedrive')}?${new URLSearchParams({
            ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
            ...(cursor ? { cursor } : {}),
          })}`,
          { token: user.accessToken },
        );
        expect(res.status, res.text).toBe(200);
        out.push(res.body.items.map((f) => f.name));
        cursor = res.body.nextCursor;
      } while (cursor && out.length < 10);
      return out;
    }

    it.each<[NextLinkForm, RegExp]>([
      ['drives', /\/v1\.0\/drives\/[0-9a-f]{16}\/items\/[^/]+\/children$/],
      ['users', /\/v1\.0\/users\/[^/]+\/drive\/items\/[^/]+\/children$/],
      ['me_items', /\/v1\.0\/me\/drive\/items\/[^/]+\/children$/],
    ])('%s: every page of a folder, each once, the drive looked up at most once', async (form, followed) => {
      const user = await stack().createUser();
      await connectProvider(stack(), user, 'onedrive');
      control().configure('onedrive', { nextLinkForm: form });
      const childrenBefore = control().apiCalls('onedrive', 'children').length;
      const drivesBefore = control().apiCalls('onedrive', 'drive').length;
      expect(await pages(user, { folderId: control().fileId('onedrive', '/Batch'), limit: 3 })).toEqual([
        ['file-01.txt', 'file-02.txt', 'file-03.txt'],
        ['file-04.txt', 'file-05.txt', 'file-06.txt'],
        ['file-07.txt'],
      ]);
      const calls = control().apiCalls('onedrive', 'children').slice(childrenBefore);
      expect(calls.map((c) => c.status)).toEqual([200, 200, 200]);
      for (const call of calls.slice(1)) expect(call.path).toMatch(followed);
      expect(control().apiCalls('onedrive', 'drive').length - drivesBefore).toBe(form === 'me_items' ? 0 : 1);
    });

    it('drives: the root listing pages through /drives/{drive-id}/root/children', async () => {
      const user = await stack().createUser();
      await connectProvider(stack(), user, 'onedrive');
      control().configure('onedrive', { nextLinkForm: 'drives' });
      const before = control().apiCalls('onedrive', 'children').length;
      const all = (await pages(user, { limit: 2 })).flat();
      expect(all).toEqual(expect.arrayContaining(['Batch', 'Projects', 'readme.txt']));
      expect(new Set(all).size).toBe(all.length);
      const followed = control()
        .apiCalls('onedrive', 'children')
        .slice(before + 1);
      expect(followed.length).toBeGreaterThan(0);
      for (const call of followed)
        expect(call.path).toMatch(/\/v1\.0\/drives\/[0-9a-f]{16}\/root\/children$/);
    });

    it.each<NextLinkForm>(['other_drive', 'other_host'])(
      '%s: a next link outside the caller’s drive is never followed → 502, no token handed out',
      async (form) => {
        const user = await stack().createUser();
        await connectProvider(stack(), user, 'onedrive');
        control().configure('onedrive', { nextLinkForm: form });
        const before = control().apiCalls('onedrive', 'children').length;
        const res = await stack().api<Problem>(
          'GET',
          `${filesPath('onedrive')}?folderId=${control().fileId('onedrive', '/Batch')}&limit=3`,
          { token: user.accessToken },
        );
        expect(res.status).toBe(502);
        expect(res.body.type).toBe('urn:brand-cloud:problem:provider-error');
        expect(res.text).not.toContain('sandbox.invalid');
        // Only the first page was requested; the foreign link was not.
        expect(control().apiCalls('onedrive', 'children').length - before).toBe(1);
      },
    );
  });
});
