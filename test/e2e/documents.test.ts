import { createHash, randomUUID } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as sweepJob } from '#functions/documents/sweep-uploads';
import { handler as worker } from '#functions/documents/worker';
import { docx, pdf, pptx, zipBombDocx } from '#local/documents/fixtures';
import { assetObjectKey, userPrefix } from '#shared/documents/keys';
import { PROCESSING_EXPIRY_SECONDS } from '#shared/documents/limits';
import { sweepExpiredUploads } from '#shared/documents/service';
import { documentsBucket, s3 } from '#shared/documents/store';
import { fakeLambdaContext } from '../support/capture-output.ts';
import { withClient } from '../support/db.ts';
import { type TestUser, useTestStack } from '../support/stack.ts';

// This file uploads far more than a user may start per minute (its subject is extraction; the limit itself is
// tested in test/e2e/hardening.test.ts and test/integration/hardening/rate-limits.test.ts).
process.env.RATE_LIMIT_UPLOAD = '1000/60';

interface Asset {
  id: string;
  title: string;
  status: string;
  content: string;
  failure: { code: string; message: string } | null;
  file: { name: string; mimeType: string; size: number; sha256: string; pages: number | null } | null;
  wordCount: number;
  updatedAt: string;
}
interface Upload {
  asset: Asset;
  upload: { url: string; fields: Record<string, string>; expiresAt: string; maxSize: number };
}

const MIME = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  csv: 'text/csv',
} as const;

/** The browser's part: every field of the presigned POST, then the file. */
async function postFile(upload: Upload['upload'], bytes: Buffer): Promise<{ status: number; text: string }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(upload.fields)) form.append(k, v);
  form.append('file', new Blob([new Uint8Array(bytes)]), 'file');
  const res = await fetch(upload.url, { method: 'POST', body: form });
  return { status: res.status, text: await res.text() };
}

describe('documents end to end: presigned POST to the local S3, worker, extraction', () => {
  const stack = useTestStack();
  let alice: TestUser;
  let bob: TestUser;
  const events: SQSEvent[] = [];

  beforeAll(async () => {
    alice = await stack().createUser();
    bob = await stack().createUser();
    stack().documents.s3.onObjectCreated((e) => events.push(e));
  });

  const startUpload = (user: TestUser, fileName: string, contentType: string, size: number) =>
    stack().api<Upload>('POST', '/brand-voice-assets/uploads', {
      token: user.accessToken,
      body: { title: `Doc ${fileName}`, category: 'brand_guidelines', fileName, contentType, size },
    });

  const getAsset = (user: TestUser, id: string) =>
    stack().api<Asset>('GET', `/brand-voice-assets/${id}`, { token: user.accessToken });

  async function settled(user: TestUser, id: string): Promise<Asset> {
    await stack().documents.queue.idle();
    let asset = (await getAsset(user, id)).body;
    for (let i = 0; i < 200 && (asset.status === 'processing' || asset.status === 'uploading'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      await stack().documents.queue.idle();
      asset = (await getAsset(user, id)).body;
    }
    return asset;
  }

  async function upload(
    user: TestUser,
    fileName: string,
    contentType: string,
    bytes: Buffer,
  ): Promise<Asset> {
    const started = await startUpload(user, fileName, contentType, bytes.length);
    expect(started.status, started.text).toBe(201);
    expect(started.body.asset).toMatchObject({ status: 'uploading', file: null, content: '' });
    const posted = await postFile(started.body.upload, bytes);
    expect(posted.status, posted.text).toBe(204);
    return settled(user, started.body.asset.id);
  }

  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  const formats: Array<[string, keyof typeof MIME, Buffer, string, number | null]> = [
    [
      'PDF',
      'pdf',
      pdf(['Our voice is warm and direct.', 'We never shout.']),
      'Our voice is warm and direct.',
      2,
    ],
    [
      'DOCX',
      'docx',
      docx(['Brand guidelines', 'Write like you talk.'], { pages: 4 }),
      'Write like you talk.',
      4,
    ],
    ['PPTX', 'pptx', pptx([['Tone deck'], ['Clear beats clever.']]), 'Clear beats clever.', 2],
    ['TXT', 'txt', Buffer.from('Plain words only.\n'), 'Plain words only.', null],
    ['Markdown', 'md', Buffer.from('# Voice\n\nShort sentences win.'), 'Short sentences win.', null],
    [
      'HTML',
      'html',
      Buffer.from('<html><body><p>Say <em>less</em>, mean more.</p></body></html>'),
      'Say less, mean more.',
      null,
    ],
    ['CSV', 'csv', Buffer.from('term,use\nclient,never\n'), 'client,never', null],
  ];

  it.each(formats)(
    '%s: uploaded, extracted, ready; sha256 and download match',
    async (_, ext, bytes, sentence, pages) => {
      const asset = await upload(alice, `guide.${ext}`, MIME[ext], bytes);
      expect(asset.status, JSON.stringify(asset.failure)).toBe('ready');
      expect(asset.content).toContain(sentence);
      expect(asset.wordCount).toBeGreaterThan(0);
      expect(asset.file).toEqual({
        name: `guide.${ext}`,
        mimeType: MIME[ext],
        size: bytes.length,
        sha256: sha(bytes),
        pages,
      });

      const link = await stack().api<{ url: string; expiresAt: string }>(
        'GET',
        `/brand-voice-assets/${asset.id}/file`,
        {
          token: alice.accessToken,
        },
      );
      expect(link.status).toBe(200);
      expect(Date.parse(link.body.expiresAt) - Date.now()).toBeLessThanOrEqual(5 * 60 * 1000);
      const download = await fetch(link.body.url);
      expect(download.headers.get('content-disposition')).toContain(`attachment; filename="guide.${ext}"`);
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
      // Another user's id on the file route is a 404, exactly like a missing one.
      expect(
        (await stack().api('GET', `/brand-voice-assets/${asset.id}/file`, { token: bob.accessToken })).status,
      ).toBe(404);
    },
  );

  it('every bound ends as failed with its code; the worker keeps going', async () => {
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      'base64',
    );
    const cases: Array<[string, keyof typeof MIME, Buffer, string]> = [
      ['encrypted.pdf', 'pdf', pdf(['secret'], { encrypted: true }), 'encrypted'],
      ['bomb.docx', 'docx', await zipBombDocx(16 * 1024 * 1024), 'too_large'],
      ['huge.pdf', 'pdf', pdf(['Cover'], { totalPages: 100_000 }), 'too_large'],
      ['image.pdf', 'pdf', png, 'unsupported_type'],
      ['blank.pdf', 'pdf', pdf(['']), 'no_text'],
      ['broken.docx', 'docx', docx(['x']).subarray(0, 100), 'corrupt'],
    ];
    for (const [name, ext, bytes, code] of cases) {
      const asset = await upload(alice, name, MIME[ext], bytes);
      expect([name, asset.status, asset.failure?.code]).toEqual([name, 'failed', code]);
      expect(asset.content).toBe('');
      expect(asset.file?.sha256).toBe(sha(bytes));
    }
    // And a normal document right after is still extracted.
    expect((await upload(alice, 'after.txt', MIME.txt, Buffer.from('still fine'))).status).toBe('ready');
  });

  it('refuses uploads S3 would refuse: declared size over 50 MiB (413), unsupported names and types (400), empty files', async () => {
    expect((await startUpload(alice, 'big.pdf', MIME.pdf, 50 * 1024 * 1024 + 1)).status).toBe(413);
    const badName = await startUpload(alice, 'tool.exe', MIME.pdf, 10);
    expect(badName.status).toBe(400);
    expect(badName.text).toContain('fileName');
    const badType = await startUpload(alice, 'a.pdf', 'application/x-msdownload', 10);
    expect(badType.status).toBe(400);
    expect(badType.text).toContain('contentType');
    const started = await startUpload(alice, 'empty.txt', MIME.txt, 1);
    expect((await postFile(started.body.upload, Buffer.alloc(0))).text).toContain('EntityTooSmall');
    expect((await getAsset(alice, started.body.asset.id)).body.status).toBe('uploading');
  });

  it('names with path segments or control characters are sanitised', async () => {
    const asset = await upload(alice, '../../etc/\u0007passwd\r\n.txt', MIME.txt, Buffer.from('hello world'));
    expect(asset.status).toBe('ready');
    expect(asset.file?.name).toBe('passwd.txt');
  });

  it('20 concurrent uploads all become ready', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        upload(alice, `c${i}.docx`, MIME.docx, docx([`Concurrent document number ${i}.`])),
      ),
    );
    expect(results.map((a) => a.status)).toEqual(Array(20).fill('ready'));
    for (const [i, a] of results.entries()) expect(a.content).toContain(`number ${i}.`);
  });

  it('a redelivered SQS message does nothing twice', async () => {
    const before = events.length;
    const asset = await upload(alice, 'once.txt', MIME.txt, Buffer.from('exactly once'));
    const event = events.slice(before).find((e) => e.Records[0]!.body.includes(asset.id))!;
    expect(event).toBeDefined();
    const redelivered: SQSEvent = {
      Records: event.Records.map((r) => ({
        ...r,
        attributes: { ...r.attributes, ApproximateReceiveCount: '2' },
      })),
    };
    const response = await worker(redelivered, {} as never);
    expect(response.batchItemFailures).toEqual([]);
    const after = (await getAsset(alice, asset.id)).body;
    expect(after.updatedAt).toBe(asset.updatedAt);
    const audit = await stack().api<{ items: Array<{ action: string; resourceId: string }> }>(
      'GET',
      '/audit-log?limit=100',
      {
        token: alice.accessToken,
      },
    );
    const mine = audit.body.items.filter((a) => a.resourceId === asset.id).map((a) => a.action);
    expect(mine.sort()).toEqual([
      'brand_voice_asset.created',
      'brand_voice_asset.ready',
      'brand_voice_asset.upload_started',
    ]);
  });

  it("a presigned POST cannot write another key; an object planted under another user's prefix is never attributed", async () => {
    const mine = await startUpload(bob, 'b.txt', MIME.txt, 5);
    const aliceAsset = await upload(alice, 'target.txt', MIME.txt, Buffer.from('original text'));
    const aliceKey = assetObjectKey(alice.userId, aliceAsset.id);
    const forged = { ...mine.body.upload, fields: { ...mine.body.upload.fields, key: aliceKey } };
    const refused = await postFile(forged, Buffer.from('evil'));
    expect(refused.status).toBe(403);

    // Planted straight into the bucket (as only a bug or an operator could): Bob's prefix, Alice's asset id.
    await s3().send(
      new PutObjectCommand({
        Bucket: documentsBucket(),
        Key: assetObjectKey(bob.userId, aliceAsset.id),
        Body: 'planted',
      }),
    );
    // And Alice's prefix, an id that is no asset of hers; and a key outside the layout.
    await s3().send(
      new PutObjectCommand({
        Bucket: documentsBucket(),
        Key: assetObjectKey(alice.userId, randomUUID()),
        Body: 'x',
      }),
    );
    await s3().send(
      new PutObjectCommand({ Bucket: documentsBucket(), Key: `users/${alice.userId}/other`, Body: 'x' }),
    );
    await stack().documents.queue.idle();
    const still = (await getAsset(alice, aliceAsset.id)).body;
    expect(still).toMatchObject({
      status: 'ready',
      content: 'original text',
      updatedAt: aliceAsset.updatedAt,
    });
    const bobList = await stack().api<{ items: Asset[] }>('GET', '/brand-voice-assets', {
      token: bob.accessToken,
    });
    expect(bobList.body.items.map((a) => a.id)).not.toContain(aliceAsset.id);
  });

  it('uploads never completed become failed: upload_expired (the scheduled sweep)', async () => {
    const started = await startUpload(alice, 'late.pdf', MIME.pdf, 100);
    expect(await sweepExpiredUploads(3600)).toBe(0);
    expect(await sweepExpiredUploads(0)).toBeGreaterThanOrEqual(1);
    const asset = (await getAsset(alice, started.body.asset.id)).body;
    expect(asset).toMatchObject({ status: 'failed', failure: { code: 'upload_expired' } });
    const feed = await stack().api<{
      items: Array<{ type: string; subject: { id: string }; data: unknown }>;
    }>('GET', '/events?limit=100', { token: alice.accessToken });
    expect(feed.body.items.filter((e) => e.subject.id === asset.id)).toMatchObject([
      { type: 'brand_voice_asset.failed', data: { title: asset.title, failureCode: 'upload_expired' } },
    ]);
    expect(
      (await stack().api('GET', `/brand-voice-assets/${asset.id}/file`, { token: alice.accessToken })).status,
    ).toBe(404);
  });

  it('an upload whose extraction never finishes (the store unreachable for the worker): processing until the sweep, then failed: timeout; the notification redriven later does nothing', async () => {
    const before = events.length;
    const bytes = Buffer.from('never read');
    const started = await startUpload(alice, 'stuck.txt', MIME.txt, bytes.length);
    const id = started.body.asset.id;
    const bucket = process.env.DOCUMENTS_BUCKET;
    process.env.DOCUMENTS_BUCKET = `${bucket}-unreachable`;
    try {
      expect((await postFile(started.body.upload, bytes)).status).toBe(204);
      await stack().documents.queue.idle();
    } finally {
      process.env.DOCUMENTS_BUCKET = bucket;
    }
    expect((await getAsset(alice, id)).body).toMatchObject({ status: 'processing', failure: null });

    const sweep = () => sweepJob({}, fakeLambdaContext(60_000) as never);
    expect((await sweep()).stalled).toBe(0);
    await withClient(stack().db.appUrl, async (c) => {
      await c.query('begin');
      await c.query("select set_config('app.user_id', $1, true)", [alice.userId]);
      await c.query(
        `update brand_voice_assets
            set status_changed_at = clock_timestamp() - make_interval(secs => $2) where id = $1`,
        [id, PROCESSING_EXPIRY_SECONDS + 60],
      );
      await c.query('commit');
    });
    expect((await sweep()).stalled).toBe(1);
    const failed = (await getAsset(alice, id)).body;
    expect(failed).toMatchObject({ status: 'failed', content: '', failure: { code: 'timeout' } });
    const feed = await stack().api<{
      items: Array<{ type: string; subject: { id: string }; data: unknown }>;
    }>('GET', '/events?limit=100', { token: alice.accessToken });
    expect(feed.body.items.filter((e) => e.subject.id === id)).toMatchObject([
      { type: 'brand_voice_asset.failed', data: { title: failed.title, failureCode: 'timeout' } },
    ]);

    // Redriven from the dead-letter queue with the store back: the version's run is over; nothing changes.
    const notification = events.slice(before).find((e) => e.Records[0]!.body.includes(id))!;
    expect(notification).toBeDefined();
    expect((await worker(notification, {} as never)).batchItemFailures).toEqual([]);
    expect((await getAsset(alice, id)).body).toMatchObject({ status: 'failed', updatedAt: failed.updatedAt });
  });

  it('pasted text: up to 5 MiB through the JSON POST, more is refused', async () => {
    const ok = await stack().api<Asset>('POST', '/brand-voice-assets', {
      token: bob.accessToken,
      body: { title: 'Long', category: 'other', content: 'a'.repeat(5 * 1024 * 1024) },
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ status: 'ready', wordCount: 1, file: null });
    const over = await stack().api('POST', '/brand-voice-assets', {
      token: bob.accessToken,
      body: { title: 'Long', category: 'other', content: 'a'.repeat(5 * 1024 * 1024 + 1) },
    });
    expect(over.status).toBe(400);
    const huge = await stack().api('POST', '/brand-voice-assets', {
      token: bob.accessToken,
      body: { title: 'Long', category: 'other', content: 'a'.repeat(6 * 1024 * 1024) },
    });
    expect(huge.status).toBe(413);
  });

  it('deleting an asset deletes its original; when the store refuses, the asset stays whole (503)', async () => {
    const asset = await upload(alice, 'short-lived.txt', MIME.txt, Buffer.from('delete me'));
    const key = assetObjectKey(alice.userId, asset.id);
    const exists = async () =>
      ((await s3().send(new ListObjectsV2Command({ Bucket: documentsBucket(), Prefix: key }))).KeyCount ??
        0) > 0;
    expect(await exists()).toBe(true);

    // The document store is unreachable: the delete is refused, nothing is half-deleted.
    const endpoint = process.env.DOCUMENTS_S3_ENDPOINT;
    process.env.DOCUMENTS_S3_ENDPOINT = 'http://127.0.0.1:9';
    try {
      const refused = await stack().api('DELETE', `/brand-voice-assets/${asset.id}`, {
        token: alice.accessToken,
      });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBeTruthy();
    } finally {
      process.env.DOCUMENTS_S3_ENDPOINT = endpoint;
    }
    expect((await getAsset(alice, asset.id)).body).toMatchObject({ id: asset.id, status: 'ready' });
    expect(await exists()).toBe(true);

    // Another user cannot delete it (404), and the object stays.
    expect(
      (await stack().api('DELETE', `/brand-voice-assets/${asset.id}`, { token: bob.accessToken })).status,
    ).toBe(404);
    expect(await exists()).toBe(true);

    expect(
      (await stack().api('DELETE', `/brand-voice-assets/${asset.id}`, { token: alice.accessToken })).status,
    ).toBe(204);
    expect((await getAsset(alice, asset.id)).status).toBe(404);
    expect(await exists()).toBe(false);
    // A pasted-text asset has no object: deleting it is fine too.
    const pasted = await stack().api<Asset>('POST', '/brand-voice-assets', {
      token: alice.accessToken,
      body: { title: 'Pasted', category: 'other', content: 'no file here' },
    });
    expect(
      (await stack().api('DELETE', `/brand-voice-assets/${pasted.body.id}`, { token: alice.accessToken }))
        .status,
    ).toBe(204);
  });

  it('account deletion leaves no object behind', async () => {
    const carol = await stack().createUser();
    await upload(carol, 'mine.txt', MIME.txt, Buffer.from('carol writes'));
    const list = () =>
      s3().send(new ListObjectsV2Command({ Bucket: documentsBucket(), Prefix: userPrefix(carol.userId) }));
    expect((await list()).KeyCount).toBe(1);
    expect((await stack().api('DELETE', '/auth/me', { token: carol.accessToken })).status).toBe(204);
    expect((await list()).KeyCount ?? 0).toBe(0);
  });
});
