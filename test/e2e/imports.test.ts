import { createHash } from 'node:crypto';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as sweepJob } from '#functions/documents/sweep-uploads';
import { handler as worker } from '#functions/documents/worker';
import { sqsRecord } from '#local/s3/queue';
import { BRAND_KIT_TEXT } from '#local/sandbox/brand-kit';
import { failureMessage } from '#shared/documents/failure';
import { assetObjectKey, userPrefix } from '#shared/documents/keys';
import { DOCUMENT_QUEUE_MAX_RECEIVES, PROCESSING_EXPIRY_SECONDS } from '#shared/documents/limits';
import { documentsBucket, s3 } from '#shared/documents/store';
import { PROVIDERS, type Provider } from '#shared/providers/types';
import { fakeLambdaContext } from '../support/capture-output.ts';
import { connectProvider } from '../support/connect.ts';
import { withClient } from '../support/db.ts';
import { type ApiResponse, type TestUser, useTestStack } from '../support/stack.ts';

// Provider retries without waiting: only the number of attempts matters here.
process.env.PROVIDER_RETRY_BASE_MS = '0';

interface Asset {
  id: string;
  title: string;
  category: string;
  status: string;
  content: string;
  failure: { code: string; message: string } | null;
  file: { name: string; mimeType: string; size: number; sha256: string; pages: number | null } | null;
  source: string;
  sourceFileId: string | null;
  sourceRevision: string | null;
  wordCount: number;
  updatedAt: string;
}
interface Problem {
  type: string;
  status: number;
  errors?: Array<{ path: string; message: string }>;
}

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
const MiB = 1024 * 1024;

/** The sandbox endpoints that move file bytes, per provider. */
const DOWNLOADS: Record<Provider, string[]> = {
  google_drive: ['files.download', 'files.export', 'files.exportLink'],
  onedrive: ['content', 'download_url'],
  dropbox: ['download'],
};

describe('imports from cloud storage: 202, the worker copies (multipart) and extracts', () => {
  const stack = useTestStack();
  const control = () => stack().sandbox!.control;
  let alice: TestUser;

  beforeAll(async () => {
    alice = await stack().createUser();
    for (const provider of PROVIDERS) await connectProvider(stack(), alice, provider);
  });

  const importFile = (
    user: TestUser,
    body: Record<string, unknown>,
  ): Promise<ApiResponse<{ asset: Asset } & Problem>> =>
    stack().api('POST', '/brand-voice-assets/import', { token: user.accessToken, body });

  const getAsset = (user: TestUser, id: string) =>
    stack().api<Asset>('GET', `/brand-voice-assets/${id}`, { token: user.accessToken });

  async function settled(user: TestUser, id: string): Promise<Asset> {
    await stack().documents.queue.idle();
    let asset = (await getAsset(user, id)).body;
    for (let i = 0; i < 400 && asset.status === 'processing'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await stack().documents.queue.idle();
      asset = (await getAsset(user, id)).body;
    }
    return asset;
  }

  async function imported(user: TestUser, provider: Provider, path: string, category = 'brand_guidelines') {
    const fileId = control().fileId(provider, path);
    const started = await importFile(user, { provider, fileId, category });
    expect(started.status, started.text).toBe(202);
    expect(started.body.asset).toMatchObject({
      status: 'processing',
      content: '',
      source: provider,
      sourceFileId: fileId,
      failure: null,
    });
    return { started: started.body.asset, asset: await settled(user, started.body.asset.id), fileId };
  }

  const downloads = (provider: Provider) =>
    DOWNLOADS[provider].reduce((n, e) => n + control().apiCalls(provider, e).length, 0);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  async function stored(user: TestUser, id: string): Promise<Buffer> {
    const link = await stack().api<{ url: string }>('GET', `/brand-voice-assets/${id}/file`, {
      token: user.accessToken,
    });
    expect(link.status).toBe(200);
    return Buffer.from(await (await fetch(link.body.url)).arrayBuffer());
  }

  const multipartUploads = async (user: TestUser) =>
    (
      await s3().send(
        new ListMultipartUploadsCommand({ Bucket: documentsBucket(), Prefix: userPrefix(user.userId) }),
      )
    ).Uploads ?? [];

  describe.each(PROVIDERS)('%s', (provider) => {
    it.each([
      ['guidelines.pdf', 'application/pdf', BRAND_KIT_TEXT.guidelines, 2],
      ['tone-of-voice.docx', DOCX, BRAND_KIT_TEXT.tone, 2],
      ['pitch.pptx', PPTX, BRAND_KIT_TEXT.pitch, 2],
    ])(
      '%s: imported, extracted, ready; the stored original is the provider’s file',
      async (name, type, text, pages) => {
        const { started, asset, fileId } = await imported(alice, provider, `/Brand kit/${name}`);
        expect(started.title).toBe(name);
        expect(asset.status, JSON.stringify(asset.failure)).toBe('ready');
        expect(asset.content).toContain(text);
        expect(asset).toMatchObject({
          source: provider,
          sourceFileId: fileId,
          file: { name, mimeType: type, pages },
        });
        expect(asset.sourceRevision).toBeTruthy();
        const bytes = await stored(alice, asset.id);
        expect(sha(bytes)).toBe(asset.file!.sha256);
        expect(bytes.length).toBe(asset.file!.size);
      },
    );

    it('the 30 MB file: streamed into the store in parts, extracted, nothing left behind', async () => {
      const { asset } = await imported(alice, provider, '/Brand kit/annual-brand-book.pdf');
      expect(asset.status, JSON.stringify(asset.failure)).toBe('ready');
      expect(asset.content).toContain(BRAND_KIT_TEXT.brandBook);
      expect(asset.file!.size).toBeGreaterThan(30 * MiB);
      expect(await multipartUploads(alice)).toEqual([]);
    });

    it('an encrypted PDF ends as failed: encrypted; a zip bomb as failed: too_large', async () => {
      const locked = (await imported(alice, provider, '/Brand kit/locked.pdf')).asset;
      expect([locked.status, locked.failure?.code]).toEqual(['failed', 'encrypted']);
      const bomb = (await imported(alice, provider, '/Brand kit/bomb.docx')).asset;
      expect([bomb.status, bomb.failure?.code]).toEqual(['failed', 'too_large']);
      expect(bomb.content).toBe('');
    });

    it('importing the same file again: unchanged → 200, same asset, nothing copied or extracted; a new revision → 200, copied and extracted again', async () => {
      const user = await stack().createUser();
      await connectProvider(stack(), user, provider);
      const path = '/Brand kit/tone-of-voice.docx';
      const first = await imported(user, provider, path);
      expect(first.asset.status).toBe('ready');

      const before = downloads(provider);
      const again = await importFile(user, { provider, fileId: first.fileId, category: 'other' });
      expect(again.status).toBe(200);
      expect(again.body.asset).toEqual(first.asset);
      await stack().documents.queue.idle();
      expect(downloads(provider)).toBe(before);
      expect((await getAsset(user, first.asset.id)).body.updatedAt).toBe(first.asset.updatedAt);

      const { docx } = await import('#local/documents/fixtures');
      control().reviseFile(
        provider,
        path,
        { content: docx(['Tone of voice', 'Revised: short words win.']) },
        undefined,
      );
      const revised = await importFile(user, { provider, fileId: first.fileId, category: 'other' });
      expect(revised.status).toBe(200);
      expect(revised.body.asset).toMatchObject({
        id: first.asset.id,
        status: 'processing',
        category: first.asset.category,
      });
      expect(revised.body.asset.sourceRevision).not.toBe(first.asset.sourceRevision);
      const after = await settled(user, first.asset.id);
      expect(after.status).toBe('ready');
      expect(after.content).toContain('Revised: short words win.');
      expect(after.file!.sha256).not.toBe(first.asset.file!.sha256);
      expect(downloads(provider)).toBeGreaterThan(before);
      const list = await stack().api<{ items: Asset[] }>('GET', '/brand-voice-assets', {
        token: user.accessToken,
      });
      expect(list.body.items.map((a) => a.id)).toEqual([first.asset.id]);
    });
  });

  it('Google Docs, Slides and Sheets are exported as DOCX, PPTX and CSV', async () => {
    const cases: Array<[string, string, string, string]> = [
      ['Voice guide', DOCX, 'Voice guide.docx', BRAND_KIT_TEXT.voiceGuide],
      ['Launch deck', PPTX, 'Launch deck.pptx', BRAND_KIT_TEXT.launchDeck],
      ['Word list', 'text/csv', 'Word list.csv', BRAND_KIT_TEXT.wordList],
    ];
    for (const [name, type, fileName, text] of cases) {
      const { asset } = await imported(alice, 'google_drive', `/Brand kit/${name}`);
      expect([name, asset.status, asset.file?.mimeType, asset.file?.name]).toEqual([
        name,
        'ready',
        type,
        fileName,
      ]);
      expect(asset.content).toContain(text);
      expect(control().apiCalls('google_drive', 'files.export').at(-1)).toMatchObject({ status: 200 });
    }
  });

  it('a Google Doc whose export is over the 10 MB cap: 403 exportSizeLimitExceeded, then its exportLinks', async () => {
    const links = control().apiCalls('google_drive', 'files.exportLink').length;
    const { asset } = await imported(alice, 'google_drive', '/Brand kit/Style manual');
    expect(control().apiCalls('google_drive', 'files.export').at(-1)?.status).toBe(403);
    expect(control().apiCalls('google_drive', 'files.exportLink').slice(links)).toEqual([
      expect.objectContaining({ status: 200, authorizationHeader: true, tokenInUrl: false }),
    ]);
    expect(asset.status, JSON.stringify(asset.failure)).toBe('ready');
    expect(asset.content).toContain(BRAND_KIT_TEXT.styleManual);
    expect(asset.file!.size).toBeGreaterThan(10_000_000);
    expect(await multipartUploads(alice)).toEqual([]);
  });

  it('refusals before anything is written: a folder, an unsupported type, another user’s file, bad ids', async () => {
    const user = await stack().createUser();
    await connectProvider(stack(), user, 'dropbox');
    const folder = await importFile(user, {
      provider: 'dropbox',
      fileId: control().fileId('dropbox', '/Brand kit'),
      category: 'other',
    });
    expect(folder.status).toBe(400);
    expect(folder.body.errors).toEqual([{ path: 'fileId', message: 'Not a file' }]);
    const png = await importFile(user, {
      provider: 'dropbox',
      fileId: control().fileId('dropbox', '/logo.png'),
      category: 'other',
    });
    expect(png.status).toBe(400);
    expect(png.body.errors).toEqual([{ path: 'fileId', message: 'Not a supported file type' }]);
    expect(
      (await importFile(user, { provider: 'dropbox', fileId: 'id:missing000', category: 'other' })).status,
    ).toBe(404);
    expect(
      (await importFile(user, { provider: 'dropbox', fileId: "x' or 1", category: 'other' })).status,
    ).toBe(400);
    const list = await stack().api<{ items: Asset[] }>('GET', '/brand-voice-assets', {
      token: user.accessToken,
    });
    expect(list.body.items).toEqual([]);
  });

  it('a connection that needs re-consent: 409 reauth-required at once, no provider call, nothing written', async () => {
    const user = await stack().createUser();
    await connectProvider(stack(), user, 'onedrive');
    control().revokeRefreshTokens('onedrive');
    control().expireAccessTokens('onedrive');
    const fileId = control().fileId('onedrive', '/Brand kit/guidelines.pdf');
    const first = await importFile(user, { provider: 'onedrive', fileId, category: 'other' });
    expect(first.status).toBe(409);
    expect(first.body.type).toMatch(/reauth-required$/);
    const calls = control().apiCalls('onedrive').length;
    const tokens = control().tokenCalls('onedrive');
    const again = await importFile(user, { provider: 'onedrive', fileId, category: 'other' });
    expect(again.status).toBe(409);
    expect(control().apiCalls('onedrive').length).toBe(calls);
    expect(control().tokenCalls('onedrive')).toBe(tokens);
    const list = await stack().api<{ items: Asset[] }>('GET', '/brand-voice-assets', {
      token: user.accessToken,
    });
    expect(list.body.items).toEqual([]);
  });

  it('a connection that needs re-consent by the time the worker copies: failed: reauth_required, no object', async () => {
    const user = await stack().createUser();
    await connectProvider(stack(), user, 'google_drive');
    // The request is accepted; the copy runs after the grant died (the worker is held back by the queue).
    const fileId = control().fileId('google_drive', '/Brand kit/guidelines.pdf');
    const hold = holdQueue();
    const started = await importFile(user, { provider: 'google_drive', fileId, category: 'other' });
    expect(started.status).toBe(202);
    control().revokeRefreshTokens('google_drive');
    control().expireAccessTokens('google_drive');
    await hold.release();
    const asset = await settled(user, started.body.asset.id);
    expect([asset.status, asset.failure?.code]).toEqual(['failed', 'reauth_required']);
    const objects = await s3().send(
      new ListObjectsV2Command({ Bucket: documentsBucket(), Prefix: userPrefix(user.userId) }),
    );
    expect(objects.KeyCount ?? 0).toBe(0);
    const feed = await stack().api<{
      items: Array<{ type: string; subject: { id: string }; data: unknown }>;
    }>('GET', '/events?limit=100', { token: user.accessToken });
    expect(feed.body.items.filter((e) => e.subject.id === asset.id)).toMatchObject([
      { type: 'brand_voice_asset.failed', data: { failureCode: 'reauth_required' } },
    ]);
  });

  it('a file that grows past 50 MiB before the copy: failed: too_large, the multipart upload aborted, nothing left', async () => {
    const user = await stack().createUser();
    await connectProvider(stack(), user, 'dropbox');
    const path = '/Brand kit/annual-brand-book.pdf';
    const hold = holdQueue();
    const started = await importFile(user, {
      provider: 'dropbox',
      fileId: control().fileId('dropbox', path),
      category: 'other',
    });
    expect(started.status).toBe(202);
    control().reviseFile('dropbox', path, { content: Buffer.alloc(51 * MiB, 0x20) });
    await hold.release();
    const asset = await settled(user, started.body.asset.id);
    expect([asset.status, asset.failure?.code]).toEqual(['failed', 'too_large']);
    expect(await multipartUploads(user)).toEqual([]);
    const objects = await s3().send(
      new ListObjectsV2Command({ Bucket: documentsBucket(), Prefix: userPrefix(user.userId) }),
    );
    expect(objects.KeyCount ?? 0).toBe(0);
  });

  it('a provider failing on every delivery: retried, then failed: provider_error (never stuck in processing)', async () => {
    const user = await stack().createUser();
    await connectProvider(stack(), user, 'onedrive');
    const fileId = control().fileId('onedrive', '/Brand kit/guidelines.pdf');
    const hold = holdQueue();
    const started = await importFile(user, { provider: 'onedrive', fileId, category: 'other' });
    expect(started.status).toBe(202);
    // Every attempt of every delivery: the first try and two retries, five deliveries.
    const contentCalls = control().apiCalls('onedrive', 'content').length;
    control().failNextApiCalls('onedrive', { kind: 'server_error' }, { count: 15, endpoint: 'content' });
    await hold.release();
    const asset = await settled(user, started.body.asset.id);
    expect(control().apiCalls('onedrive', 'content').length - contentCalls).toBe(15);
    expect([asset.status, asset.failure?.code]).toEqual(['failed', 'provider_error']);
    expect(asset.failure?.message).not.toMatch(/generalException|Internal/);
  });

  it('a job dead-lettered on its last delivery (a crashed copy still held the claim): processing until the sweep, then failed: timeout with its event; a late delivery does nothing; importing again retries', async () => {
    const user = await stack().createUser();
    await connectProvider(stack(), user, 'dropbox');
    const fileId = control().fileId('dropbox', '/Brand kit/guidelines.pdf');
    const hold = holdQueue();
    const started = await importFile(user, { provider: 'dropbox', fileId, category: 'other' });
    expect(started.status).toBe(202);
    const id = started.body.asset.id;
    const [job] = hold.discard();
    expect(job?.Records[0]?.body).toContain(id);
    // An earlier delivery crashed mid-copy (a Lambda timeout leaves nothing behind but its claim), and SQS hands
    // the worker the last of its DOCUMENT_QUEUE_MAX_RECEIVES deliveries while that claim is still live.
    const asTenant = (sql: string) =>
      withClient(stack().db.appUrl, async (c) => {
        await c.query('begin');
        await c.query("select set_config('app.user_id', $1, true)", [user.userId]);
        await c.query(sql, [id]);
        await c.query('commit');
      });
    await asTenant('update brand_voice_assets set import_claimed_at = clock_timestamp() where id = $1');
    const before = downloads('dropbox');
    const last = {
      ...job!.Records[0]!,
      attributes: {
        ...job!.Records[0]!.attributes,
        ApproximateReceiveCount: String(DOCUMENT_QUEUE_MAX_RECEIVES),
      },
    };
    // The worker fails it (retry later; a batch of one that fails is a failed invocation): on the last delivery,
    // SQS moves it to the dead-letter queue.
    await expect(worker({ Records: [last] }, {} as never)).rejects.toThrow(/All records failed/);
    // The local queue does the same: delivered, failed, dropped as dead-lettered, never delivered again.
    stack().documents.queue.send({ Records: [last] });
    await stack().documents.queue.idle();
    expect(downloads('dropbox')).toBe(before);
    expect((await getAsset(user, id)).body).toMatchObject({ status: 'processing', failure: null });

    // The scheduled sweep leaves it alone within PROCESSING_EXPIRY_SECONDS of its last progress …
    const sweep = () => sweepJob({}, fakeLambdaContext(60_000) as never);
    expect((await sweep()).stalled).toBe(0);
    expect((await getAsset(user, id)).body.status).toBe('processing');
    // … and ends it once that much time has passed since its status changed and since the claim.
    await asTenant(
      `update brand_voice_assets
          set status_changed_at = clock_timestamp() - make_interval(secs => ${PROCESSING_EXPIRY_SECONDS + 60}),
              import_claimed_at = clock_timestamp() - make_interval(secs => ${PROCESSING_EXPIRY_SECONDS + 60})
        where id = $1`,
    );
    expect(await sweep()).toEqual({ expired: 0, stalled: 1 });
    const failed = (await getAsset(user, id)).body;
    expect(failed).toMatchObject({
      status: 'failed',
      content: '',
      wordCount: 0,
      failure: { code: 'timeout', message: failureMessage('timeout') },
    });
    const feed = await stack().api<{
      items: Array<{ type: string; subject: { id: string }; data: unknown }>;
    }>('GET', '/events?limit=100', { token: user.accessToken });
    expect(feed.body.items.filter((e) => e.subject.id === id)).toMatchObject([
      { type: 'brand_voice_asset.failed', data: { title: failed.title, failureCode: 'timeout' } },
    ]);
    const audit = await stack().api<{
      items: Array<{ action: string; resourceId: string; metadata: unknown }>;
    }>('GET', '/audit-log?limit=100', { token: user.accessToken });
    expect(
      audit.body.items.filter((a) => a.resourceId === id && a.action === 'brand_voice_asset.failed'),
    ).toMatchObject([{ metadata: { failureCode: 'timeout' } }]);
    expect(await sweep()).toEqual({ expired: 0, stalled: 0 });

    // The dead-lettered job redriven later: its job is no longer the asset's, so nothing is copied or changed.
    expect((await worker({ Records: [sqsRecord(last.body)] }, {} as never)).batchItemFailures).toEqual([]);
    await stack().documents.queue.idle();
    expect(downloads('dropbox')).toBe(before);
    expect((await getAsset(user, id)).body.updatedAt).toBe(failed.updatedAt);

    // Importing the same file again retries it (the failure was ours, not the file's).
    const again = await importFile(user, { provider: 'dropbox', fileId, category: 'other' });
    expect([again.status, again.body.asset.id, again.body.asset.status]).toEqual([200, id, 'processing']);
    const ready = await settled(user, id);
    expect([ready.status, ready.failure]).toEqual(['ready', null]);
    expect(ready.content).toContain(BRAND_KIT_TEXT.guidelines);
  });

  it('a redelivered import message does nothing twice; a message naming another user’s asset does nothing', async () => {
    const user = await stack().createUser();
    await connectProvider(stack(), user, 'dropbox');
    const sentBefore = stack().documents.sqs.sent.length;
    const { asset } = await imported(user, 'dropbox', '/Brand kit/guidelines.pdf');
    expect(asset.status).toBe('ready');
    const message = stack()
      .documents.sqs.sent.slice(sentBefore)
      .find((b) => b.includes(asset.id))!;
    expect(message).toBeDefined();

    const before = downloads('dropbox');
    const redelivered: SQSEvent = {
      Records: [
        {
          ...sqsRecord(message),
          attributes: { ...sqsRecord(message).attributes, ApproximateReceiveCount: '2' },
        },
      ],
    };
    expect((await worker(redelivered, {} as never)).batchItemFailures).toEqual([]);
    await stack().documents.queue.idle();
    expect(downloads('dropbox')).toBe(before);
    expect((await getAsset(user, asset.id)).body.updatedAt).toBe(asset.updatedAt);

    // The same job named for Alice (her user id, his asset): her tenant has no such asset; nothing happens.
    const forged = JSON.stringify({ ...JSON.parse(message), userId: alice.userId });
    expect((await worker({ Records: [sqsRecord(forged)] }, {} as never)).batchItemFailures).toEqual([]);
    expect(downloads('dropbox')).toBe(before);

    const audit = await stack().api<{ items: Array<{ action: string; resourceId: string }> }>(
      'GET',
      '/audit-log?limit=100',
      { token: user.accessToken },
    );
    expect(
      audit.body.items
        .filter((a) => a.resourceId === asset.id)
        .map((a) => a.action)
        .sort(),
    ).toEqual(['brand_voice_asset.created', 'brand_voice_asset.imported', 'brand_voice_asset.ready']);
    const feed = await stack().api<{ items: Array<{ type: string; subject: { id: string } }> }>(
      'GET',
      '/events?limit=100',
      { token: user.accessToken },
    );
    expect(feed.body.items.filter((e) => e.subject.id === asset.id).map((e) => e.type)).toEqual([
      'brand_voice_asset.ready',
    ]);
    expect(
      (
        await s3().send(
          new ListObjectsV2Command({
            Bucket: documentsBucket(),
            Prefix: assetObjectKey(user.userId, asset.id),
          }),
        )
      ).KeyCount,
    ).toBe(1);
  });

  it("cross-tenant: Bob's import never uses Alice's connection or reaches her asset", async () => {
    const bob = await stack().createUser();
    for (const provider of PROVIDERS) {
      const aliceFile = control().fileId(provider, '/Brand kit/guidelines.pdf');
      // Not connected: 404, whatever the file id.
      expect((await importFile(bob, { provider, fileId: aliceFile, category: 'other' })).status).toBe(404);
    }
    // Bob connects his own account: Alice's file ids are not found through it.
    await connectProvider(stack(), bob, 'google_drive', { email: 'bob.imports@example.test' });
    const aliceDoc = control().fileId('google_drive', '/Brand kit/Voice guide');
    expect(
      (await importFile(bob, { provider: 'google_drive', fileId: aliceDoc, category: 'other' })).status,
    ).toBe(404);
    // Alice's imported asset is not Bob's, by any route.
    const aliceAssets = await stack().api<{ items: Asset[] }>('GET', '/brand-voice-assets?limit=100', {
      token: alice.accessToken,
    });
    const hers = aliceAssets.body.items[0]!;
    expect((await getAsset(bob, hers.id)).status).toBe(404);
    expect(
      (await stack().api('GET', `/brand-voice-assets/${hers.id}/file`, { token: bob.accessToken })).status,
    ).toBe(404);
    const bobs = await stack().api<{ items: Asset[] }>('GET', '/brand-voice-assets', {
      token: bob.accessToken,
    });
    expect(bobs.body.items).toEqual([]);
  });

  it('an asset deleted before its copy ran: the job does nothing, no object is left', async () => {
    const user = await stack().createUser();
    await connectProvider(stack(), user, 'dropbox');
    const hold = holdQueue();
    const started = await importFile(user, {
      provider: 'dropbox',
      fileId: control().fileId('dropbox', '/Brand kit/pitch.pptx'),
      category: 'other',
    });
    expect(started.status).toBe(202);
    const removed = await stack().api('DELETE', `/brand-voice-assets/${started.body.asset.id}`, {
      token: user.accessToken,
    });
    expect(removed.status).toBe(204);
    const before = downloads('dropbox');
    await hold.release();
    expect(downloads('dropbox')).toBe(before);
    const objects = await s3().send(
      new ListObjectsV2Command({ Bucket: documentsBucket(), Prefix: userPrefix(user.userId) }),
    );
    expect(objects.KeyCount ?? 0).toBe(0);
  });

  it('a queue that refuses the job: 503, nothing written', async () => {
    const user = await stack().createUser();
    await connectProvider(stack(), user, 'dropbox');
    const url = process.env.DOCUMENTS_QUEUE_URL;
    process.env.DOCUMENTS_QUEUE_URL = `${url}-gone`;
    try {
      const res = await importFile(user, {
        provider: 'dropbox',
        fileId: control().fileId('dropbox', '/Brand kit/guidelines.pdf'),
        category: 'other',
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
    } finally {
      process.env.DOCUMENTS_QUEUE_URL = url;
    }
    const list = await stack().api<{ items: Asset[] }>('GET', '/brand-voice-assets', {
      token: user.accessToken,
    });
    expect(list.body.items).toEqual([]);
    const audit = await stack().api<{ items: Array<{ action: string }> }>('GET', '/audit-log?limit=100', {
      token: user.accessToken,
    });
    expect(audit.body.items.map((a) => a.action)).not.toContain('brand_voice_asset.imported');
  });

  /** Holds the import jobs sent from now on until release(): the test changes the world in between. */
  function holdQueue() {
    const queue = stack().documents.queue;
    const original = queue.send.bind(queue);
    const held: Parameters<typeof original>[0][] = [];
    queue.send = (event) => {
      if (event.Records.some((r) => r.body.includes('brand_voice_import'))) held.push(event);
      else original(event);
    };
    return {
      async release() {
        queue.send = original;
        for (const event of held) original(event);
        await queue.idle();
      },
      /** Stops holding; the held deliveries never happen (the test makes its own). */
      discard(): SQSEvent[] {
        queue.send = original;
        return held;
      },
    };
  }
});
