import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodePageToken, encodePageToken, PAGE_TOKEN_TTL_SECONDS } from '#shared/cloud-storage/files';
import { retryDelayMs } from '#shared/cloud-storage/provider-session';
import { providerEndpoints } from '#shared/providers/config';
import type { ProviderError } from '#shared/providers/errors';
import {
  FileContentError,
  isValidItemId,
  mimeTypeFromName,
  readLimited,
} from '#shared/providers/file-content';
import { inOwnDrive, parseGraphLink } from '#shared/providers/onedrive';
import { classifyApiError } from '#shared/providers/sdk-errors';
import { REAL_ENDPOINTS } from '#shared/providers/types';

// First in the file: the endpoint cache starts empty in this process.
it('uses the real provider endpoints when PROVIDER_ENDPOINTS is not set (first call included)', () => {
  vi.stubEnv('PROVIDER_ENDPOINTS', undefined);
  expect(providerEndpoints()).toEqual(REAL_ENDPOINTS);
  vi.unstubAllEnvs();
});

describe('media types', () => {
  it('derives media types from names for providers that report none', () => {
    expect(mimeTypeFromName('readme.TXT')).toBe('text/plain');
    expect(mimeTypeFromName('logo.png')).toBe('image/png');
    expect(mimeTypeFromName('archive.unknownext')).toBeNull();
  });
});

describe('bounded reads', () => {
  async function* chunks(count: number, size: number, pulled: { n: number }) {
    for (let i = 0; i < count; i++) {
      pulled.n += 1;
      yield new Uint8Array(size).fill(0x61);
    }
  }

  it('reads a body up to the limit', async () => {
    const pulled = { n: 0 };
    const bytes = await readLimited(chunks(4, 256, pulled), 1024);
    expect(bytes.byteLength).toBe(1024);
    expect(pulled.n).toBe(4);
  });

  it('stops pulling as soon as the limit is passed and refuses the file', async () => {
    const pulled = { n: 0 };
    const error = await readLimited(chunks(1000, 1024, pulled), 4096).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileContentError);
    expect((error as FileContentError).reason).toBe('too_large');
    expect(pulled.n).toBe(5);
  });
});

describe('ids', () => {
  it('accepts each provider’s id alphabet and refuses anything that could escape a query or a path', () => {
    expect(isValidItemId('google_drive', '1AbC_d-9')).toBe(true);
    expect(isValidItemId('google_drive', 'root')).toBe(true);
    expect(isValidItemId('google_drive', "x' in parents or '1")).toBe(false);
    expect(isValidItemId('onedrive', '01ABCDEF0123')).toBe(true);
    expect(isValidItemId('onedrive', 'ABC123!105')).toBe(true);
    expect(isValidItemId('onedrive', '../../me')).toBe(false);
    expect(isValidItemId('dropbox', 'id:a4ayc_80_OEAAAAAAAAAXw')).toBe(true);
    expect(isValidItemId('dropbox', '/readme.txt')).toBe(false);
    expect(isValidItemId('dropbox', '')).toBe(false);
  });
});

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('page tokens (signed, bound to user, provider and folder)', () => {
  const alice = '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
  const bob = '0b1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
  const refused = (promise: Promise<unknown>) =>
    expect(promise).rejects.toMatchObject({ status: 400, errors: [{ path: 'cursor' }] });

  it('round-trip for the same user, provider and folder only', async () => {
    const token = await encodePageToken(alice, 'dropbox', 'id:abc', 'CURSOR');
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(await decodePageToken(alice, 'dropbox', 'id:abc', token)).toBe('CURSOR');
    for (const [user, provider, folder] of [
      [bob, 'dropbox', 'id:abc'],
      [alice, 'dropbox', 'id:other'],
      [alice, 'dropbox', undefined],
      [alice, 'onedrive', 'id:abc'],
    ] as const) {
      await refused(decodePageToken(user, provider, folder, token));
    }
  });

  it('refuses forged, altered, re-signed and expired tokens without reading them', async () => {
    const token = await encodePageToken(alice, 'onedrive', undefined, 'https://graph.example/next');
    const [body, tag] = token.split('.') as [string, string];
    const forgedBody = Buffer.from(
      JSON.stringify({ v: 2, t: 'https://evil.example/', e: 4102444800 }),
    ).toString('base64url');
    for (const raw of [
      `${token}!`,
      `${body}.${tag.endsWith('A') ? 'B' : 'A'}${tag.slice(1)}`,
      // Another spelling of the same MAC (the spare bits of base64url's last character).
      `${body}.${tag.slice(0, -1)}${B64URL[B64URL.indexOf(tag.at(-1)!) ^ 1]}`,
      `${forgedBody}.${tag}`,
      body,
      // The unsigned tokens of the previous release.
      Buffer.from(JSON.stringify({ v: 1, p: 'onedrive', f: null, t: 'x' })).toString('base64url'),
      `${body}.${Buffer.alloc(32).toString('base64url')}`,
    ]) {
      await refused(decodePageToken(alice, 'onedrive', undefined, raw));
    }
    const old = await encodePageToken(
      alice,
      'onedrive',
      undefined,
      'x',
      Date.now() - PAGE_TOKEN_TTL_SECONDS * 1000,
    );
    await refused(decodePageToken(alice, 'onedrive', undefined, old));
    // Signed under another key (another deployment, a rotated-out key) → refused.
    vi.stubEnv('SIGNING_KEY', randomBytes(32).toString('base64'));
    try {
      await refused(decodePageToken(alice, 'onedrive', undefined, token));
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('any change to a token makes it invalid', async () => {
    const token = await encodePageToken(alice, 'google_drive', '1AbC', 'NEXT_PAGE_TOKEN');
    await fc.assert(
      fc.asyncProperty(fc.nat(token.length - 1), fc.constantFrom(...'AZaz09-_.'), async (at, c) => {
        const changed = token.slice(0, at) + c + token.slice(at + 1);
        if (changed === token) return true;
        const result = await decodePageToken(alice, 'google_drive', '1AbC', changed).catch(() => 'refused');
        return result === 'refused';
      }),
      { numRuns: 200 },
    );
  });
});

describe('Graph next links', () => {
  beforeEach(() => {
    vi.stubEnv(
      'PROVIDER_ENDPOINTS',
      JSON.stringify({
        ...REAL_ENDPOINTS,
        onedrive: { ...REAL_ENDPOINTS.onedrive, graphBaseUrl: 'https://127.0.0.1:8443/microsoft/graph/' },
      }),
    );
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const G = 'https://127.0.0.1:8443/microsoft/graph/v1.0';
  const own = { id: 'b!Own-Drive_01', ownerId: '6f1c2a9e-3b7d-4c5e-9a10-5d2b8e7f4c31' };
  const q = '?$top=3&$skiptoken=x';

  it('accepts every documented address of a children listing in the caller’s own drive', () => {
    for (const path of [
      '/me/drive/root/children',
      '/me/drive/items/01AB!105/children',
      '/drives/b!Own-Drive_01/root/children',
      '/drives/b!Own-Drive_01/items/01AB/children',
      '/drives/B!OWN-DRIVE_01/items/01AB/children',
      '/users/6f1c2a9e-3b7d-4c5e-9a10-5d2b8e7f4c31/drive/items/01AB/children',
      '/users/6f1c2a9e-3b7d-4c5e-9a10-5d2b8e7f4c31/drive/root/children',
    ]) {
      const link = parseGraphLink(`${G}${path}${q}`);
      expect(link.href, path).toBe(`${G}${path}${q}`);
      expect(inOwnDrive(link, own), path).toBe(true);
    }
    // Percent-encoded characters of an id are fine as long as they decode to the id's own alphabet.
    expect(parseGraphLink(`${G}/me/drive/items/01AB%21105/children`).href).toBe(
      `${G}/me/drive/items/01AB!105/children`,
    );
  });

  it('refuses other drives and other users, and drive-id forms before the own drive is known', () => {
    for (const path of [
      '/drives/b!Someone-Else/items/01AB/children',
      '/users/0b1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f/drive/items/01AB/children',
    ]) {
      expect(inOwnDrive(parseGraphLink(`${G}${path}`), own), path).toBe(false);
    }
    expect(inOwnDrive(parseGraphLink(`${G}/drives/b!Own-Drive_01/root/children`), undefined)).toBe(false);
    expect(inOwnDrive(parseGraphLink(`${G}/users/x/drive/root/children`), { id: 'd', ownerId: null })).toBe(
      false,
    );
  });

  it('refuses other hosts, schemes, ports, versions and every path trick, also after percent-decoding', () => {
    for (const bad of [
      'https://evil.example/microsoft/graph/v1.0/me/drive/items/01AB/children',
      'https://graph.microsoft.com/v1.0/me/drive/items/01AB/children',
      'http://127.0.0.1:8443/microsoft/graph/v1.0/me/drive/items/01AB/children',
      'https://127.0.0.1:9999/microsoft/graph/v1.0/me/drive/items/01AB/children',
      'https://user:pw@127.0.0.1:8443/microsoft/graph/v1.0/me/drive/items/01AB/children',
      'https://127.0.0.1:8443/microsoft/graph/beta/me/drive/items/01AB/children',
      'https://127.0.0.1:8443/other/v1.0/me/drive/items',
      `${G}/me/drive/items/01AB/children#frag`,
      `${G}/me/drive/items/..%2f..%2fusers%2fvictim%2fdrive%2froot/children`,
      `${G}/me/drive/items/..%2F..%2Fdrives%2Fother/children`,
      `${G}/me/drive/items/01AB%5c..%5cother/children`,
      `${G}/me/drive/items/%2e%2e/children`,
      `${G}/me/drive/items/%2E./children`,
      `${G}/me/drive/../../users/victim/drive/root/children`,
      `${G}/me/drive/items/01AB/../../../users/victim/drive/root/children`,
      `${G}/me/drive/items/%252e%252e/children`,
      `${G}/me/drive/items/01AB%00/children`,
      `${G}/me/drive/items/%E0%A4%A/children`,
      `${G}/me/drive//items/01AB/children`,
      `${G}/me/drive/items/01AB/content`,
      `${G}/me/drive/items/01AB`,
      `${G}/me/drive/root:/Documents:/children`,
      `${G}/me/messages`,
      `${G}/me/drive/items/01AB/children/extra`,
      `${G}/drives/b!Own%2fDrive/items/01AB/children`,
      `${G}/groups/g1/drive/root/children`,
      `${G}/sites/s1/drive/root/children`,
      `${G}/users/u1/messages`,
      'not a url',
    ]) {
      expect(() => parseGraphLink(bad), bad).toThrow(/page token/i);
    }
  });
});

describe('retry backoff', () => {
  it('is capped exponential with full jitter', () => {
    expect(retryDelayMs(0, 200, () => 0)).toBe(0);
    expect(retryDelayMs(0, 200, () => 0.999)).toBe(199);
    expect(retryDelayMs(1, 200, () => 0.999)).toBe(399);
    expect(retryDelayMs(10, 200, () => 0.999)).toBeLessThan(2000);
    expect(retryDelayMs(3, 0, () => 0.999)).toBe(0);
    for (let i = 0; i < 100; i++) {
      const d = retryDelayMs(2, 200);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(800);
    }
  });
});

describe('SDK error classification', () => {
  const headers = (h: Record<string, string>) => new Headers(h);

  it('Drive 403 rate-limit reasons and 429 are rate limits with the provider’s Retry-After', () => {
    const drive403 = classifyApiError({
      name: 'GaxiosError',
      status: 403,
      response: {
        status: 403,
        headers: headers({}),
        data: JSON.stringify({ error: { errors: [{ reason: 'userRateLimitExceeded' }] } }),
      },
    });
    expect(drive403).toMatchObject({ kind: 'rate_limited' });
    expect(drive403?.retryAfterSeconds).toBeUndefined();
    const other403 = classifyApiError({
      name: 'GaxiosError',
      response: { status: 403, data: { error: { errors: [{ reason: 'insufficientFilePermissions' }] } } },
    });
    expect(other403).toMatchObject({ kind: 'access' });
    const exportCap = classifyApiError({
      name: 'GaxiosError',
      response: { status: 403, data: { error: { errors: [{ reason: 'exportSizeLimitExceeded' }] } } },
    });
    expect(exportCap).toMatchObject({ kind: 'access', code: 'export_too_large' });
    const graph429 = classifyApiError({
      name: 'GraphError',
      statusCode: 429,
      headers: headers({ 'retry-after': '7' }),
    });
    expect(graph429).toMatchObject({ kind: 'rate_limited' });
    expect(graph429?.retryAfterSeconds).toBe(7);
    const dropbox429 = classifyApiError({
      name: 'DropboxResponseError',
      status: 429,
      headers: headers({}),
      error: { error_summary: 'too_many_requests/..', error: { retry_after: 5 } },
    });
    expect(dropbox429?.retryAfterSeconds).toBe(5);
  });

  it('a grant without the scope needs new consent: Drive 403 insufficientPermissions, Graph 403 access denied', () => {
    const drive = classifyApiError({
      name: 'GaxiosError',
      response: { status: 403, data: { error: { errors: [{ reason: 'insufficientPermissions' }] } } },
    });
    expect(drive).toMatchObject({ kind: 'reauth', code: 'missing_scope' });
    // The Graph SDK's GraphError carries Graph's code itself; a raw answer has it in the body.
    for (const code of ['accessDenied', 'AccessDenied', 'Authorization_RequestDenied']) {
      expect(classifyApiError({ name: 'GraphError', statusCode: 403, code })).toMatchObject({
        kind: 'reauth',
        code: 'missing_scope',
      });
    }
    expect(
      classifyApiError({
        name: 'GraphError',
        statusCode: 403,
        body: JSON.stringify({ error: { code: 'accessDenied' } }),
      }),
    ).toMatchObject({ kind: 'reauth' });
    expect(classifyApiError({ name: 'GraphError', statusCode: 403, code: 'notAllowed' })).toMatchObject({
      kind: 'access',
    });
  });

  it('401 → refresh, except a Dropbox missing scope (→ new consent)', () => {
    expect(
      classifyApiError({ status: 401, error: { error: { '.tag': 'expired_access_token' } } })?.kind,
    ).toBe('expired_token');
    expect(classifyApiError({ status: 401, error: { error: { '.tag': 'missing_scope' } } })?.kind).toBe(
      'reauth',
    );
  });

  it('Dropbox route errors, 5xx and network failures', () => {
    const summary = (s: string) => classifyApiError({ status: 409, error: { error_summary: s } });
    expect(summary('path/not_found/..')?.kind).toBe('not_found');
    expect(summary('path/not_folder/.')?.code).toBe('not_folder');
    expect(summary('reset/..')?.code).toBe('cursor_reset');
    expect(classifyApiError({ status: 503, headers: headers({ 'retry-after': '2' }) })).toMatchObject({
      kind: 'transient',
      code: 'http_503',
    });
    expect(classifyApiError(new TypeError('fetch failed'))).toMatchObject({
      kind: 'transient',
      code: 'network',
    });
    expect(classifyApiError(new DOMException('timed out', 'TimeoutError'))).toMatchObject({
      kind: 'transient',
      code: 'timeout',
    });
    expect(classifyApiError({ name: 'GraphError', statusCode: -1 })).toMatchObject({ kind: 'transient' });
  });

  it('leaves our own bugs alone (they must surface, not be retried) and never copies provider text', () => {
    expect(classifyApiError(new TypeError('x is not a function'))).toBeUndefined();
    expect(classifyApiError(new RangeError('bad'))).toBeUndefined();
    const error = classifyApiError({
      status: 500,
      response: { status: 500, data: { error: { message: 'SECRET provider text' } } },
    }) as ProviderError;
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('SECRET');
  });
});
