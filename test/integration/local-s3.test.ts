import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '#local/s3/server';
import { assetObjectKey } from '#shared/documents/keys';
import {
  deleteUserObjects,
  documentsBucket,
  getObject,
  objectExists,
  presignDownload,
  presignUpload,
  putStream,
  s3,
} from '#shared/documents/store';

const alice = '11111111-1111-4111-8111-111111111111';
const bob = '22222222-2222-4222-8222-222222222222';
const asset = () => crypto.randomUUID();

let store: LocalS3;
let dir: string;
const events: SQSEvent[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'brand-s3-'));
  store = await startLocalS3({
    directory: dir,
    bucket: 'documents-test',
    allowedOrigins: ['http://app.test'],
  });
  store.onObjectCreated((event) => events.push(event));
  process.env.DOCUMENTS_BUCKET = store.bucket;
  process.env.DOCUMENTS_S3_ENDPOINT = store.endpoint;
  process.env.DOCUMENTS_S3_ACCESS_KEY_ID = store.credentials.accessKeyId;
  process.env.DOCUMENTS_S3_SECRET_ACCESS_KEY = store.credentials.secretAccessKey;
});
afterAll(async () => {
  await store?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function post(
  url: string,
  fields: Record<string, string>,
  file: Buffer | null,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append('file', new Blob([new Uint8Array(file)]), 'x');
  const res = await fetch(url, { method: 'POST', body: form, headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const code = (text: string) => /<Code>([^<]+)<\/Code>/.exec(text)?.[1];

describe('local S3: presigned POST as S3 checks it', () => {
  it('accepts exactly the presigned object and emits an SQS-shaped object-created event', async () => {
    const key = assetObjectKey(alice, asset());
    const up = await presignUpload(key, 'application/pdf', 1024);
    expect(up.url).toBe(`${store.endpoint}/${store.bucket}`);
    const res = await post(up.url, up.fields, Buffer.from('%PDF-1.4 hello'), { origin: 'http://app.test' });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://app.test');
    const object = await getObject(key);
    expect(object?.size).toBe(14);
    expect(object?.contentType).toBe('application/pdf');
    await expect.poll(() => events.length).toBeGreaterThan(0);
    const record = events.at(-1)!.Records[0]!;
    expect(record).toMatchObject({ eventSource: 'aws:sqs', attributes: { ApproximateReceiveCount: '1' } });
    const s3Event = JSON.parse(record.body);
    expect(s3Event.Records[0]).toMatchObject({
      eventName: 'ObjectCreated:Post',
      s3: { bucket: { name: store.bucket }, object: { key, size: 14 } },
    });
  });

  it('refuses a different key, a changed content type, an extra field and a bad signature', async () => {
    const key = assetObjectKey(alice, asset());
    const up = await presignUpload(key, 'application/pdf', 1024);
    const file = Buffer.from('%PDF-1.4');
    const otherKey = assetObjectKey(bob, asset());
    const attempts: Array<[Record<string, string>, number, string]> = [
      [{ ...up.fields, key: otherKey }, 403, 'AccessDenied'],
      [{ ...up.fields, key: `${key}/../x` }, 403, 'AccessDenied'],
      [{ ...up.fields, 'Content-Type': 'text/html' }, 403, 'AccessDenied'],
      [{ ...up.fields, 'x-amz-meta-owner': bob }, 403, 'AccessDenied'],
      [{ ...up.fields, 'X-Amz-Signature': '0'.repeat(64) }, 403, 'SignatureDoesNotMatch'],
      [
        { ...up.fields, 'X-Amz-Credential': up.fields['X-Amz-Credential']!.replace('S3RVER', 'OTHER') },
        403,
        'InvalidAccessKeyId',
      ],
    ];
    for (const [fields, status, expected] of attempts) {
      const res = await post(up.url, fields, file);
      expect([res.status, code(res.text)]).toEqual([status, expected]);
    }
    // The policy cannot be rewritten either: a policy without the key condition no longer matches the signature.
    const policy = JSON.parse(Buffer.from(up.fields.Policy!, 'base64').toString());
    policy.conditions = policy.conditions.filter((c: unknown) => !(c && typeof c === 'object' && 'key' in c));
    const forged = {
      ...up.fields,
      key: otherKey,
      Policy: Buffer.from(JSON.stringify(policy)).toString('base64'),
    };
    expect(code((await post(up.url, forged, file)).text)).toBe('SignatureDoesNotMatch');
    expect(await objectExists(otherKey)).toBe(false);
    expect(await objectExists(key)).toBe(false);
  });

  it('refuses files outside content-length-range, a missing file and an expired policy', async () => {
    const key = assetObjectKey(alice, asset());
    const up = await presignUpload(key, 'text/plain', 10);
    expect(code((await post(up.url, up.fields, Buffer.alloc(11, 'a'))).text)).toBe('EntityTooLarge');
    expect(code((await post(up.url, up.fields, Buffer.alloc(0))).text)).toBe('EntityTooSmall');
    expect((await post(up.url, up.fields, null)).status).toBe(400);
    const realNow = Date.now;
    Date.now = () => realNow() - 16 * 60 * 1000; // signed 16 minutes ago, valid for 15
    const old = await presignUpload(key, 'text/plain', 10).finally(() => {
      Date.now = realNow;
    });
    const expired = await post(old.url, old.fields, Buffer.from('hi'));
    expect([expired.status, code(expired.text)]).toEqual([403, 'AccessDenied']);
    expect(expired.text).toContain('Policy expired');
    expect(await objectExists(key)).toBe(false);
  });

  it('answers CORS preflights for the web app origin only', async () => {
    const pre = await fetch(`${store.endpoint}/${store.bucket}`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.test', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(200);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://app.test');
    const evil = await fetch(`${store.endpoint}/${store.bucket}`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(evil.status).toBe(403);
  });
});

describe('local S3: downloads and deletion', () => {
  it('serves a presigned GET as an attachment with a sanitised name, and refuses it once expired', async () => {
    const key = assetObjectKey(alice, asset());
    await s3().send(new PutObjectCommand({ Bucket: documentsBucket(), Key: key, Body: 'hello' }));
    const { url, expiresAt } = await presignDownload(key, '../../etc/"brand"\r\nguide.pdf');
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(5 * 60 * 1000);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');
    const disposition = res.headers.get('content-disposition')!;
    expect(disposition).toMatch(/^attachment; filename="_brand_guide.pdf"/);
    expect(disposition).not.toMatch(/[\r\n]|\.\.\//);

    const old = await getSignedUrl(s3(), new GetObjectCommand({ Bucket: documentsBucket(), Key: key }), {
      expiresIn: 300,
      signingDate: new Date(Date.now() - 6 * 60 * 1000),
    });
    expect((await fetch(old)).status).toBe(403);
  });

  it("deleteUserObjects deletes the user's prefix and nothing else", async () => {
    const mine = [assetObjectKey(alice, asset()), assetObjectKey(alice, asset())];
    const theirs = assetObjectKey(bob, asset());
    for (const Key of [...mine, theirs])
      await s3().send(new PutObjectCommand({ Bucket: documentsBucket(), Key, Body: 'x' }));
    expect(await deleteUserObjects(alice)).toBeGreaterThanOrEqual(2);
    for (const key of mine) expect(await objectExists(key)).toBe(false);
    expect(await objectExists(theirs)).toBe(true);
  });
});

describe('local S3: multipart uploads (imports stream into the store)', () => {
  const uploads = async () =>
    (await s3().send(new ListMultipartUploadsCommand({ Bucket: documentsBucket(), Prefix: 'users/' })))
      .Uploads ?? [];
  const MiB = 1024 * 1024;

  it('lists uploads in progress and aborts them (S3 does; s3rver alone has neither)', async () => {
    const key = assetObjectKey(alice, asset());
    const { UploadId } = await s3().send(
      new CreateMultipartUploadCommand({ Bucket: documentsBucket(), Key: key }),
    );
    await s3().send(
      new UploadPartCommand({
        Bucket: documentsBucket(),
        Key: key,
        UploadId,
        PartNumber: 1,
        Body: Buffer.alloc(5 * MiB, 1),
      }),
    );
    expect((await uploads()).map((u) => [u.Key, u.UploadId])).toEqual([[key, UploadId]]);
    // Another key cannot abort it.
    await expect(
      s3().send(
        new AbortMultipartUploadCommand({ Bucket: documentsBucket(), Key: `${key}x`, UploadId: UploadId! }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await s3().send(
      new AbortMultipartUploadCommand({ Bucket: documentsBucket(), Key: key, UploadId: UploadId! }),
    );
    expect(await uploads()).toEqual([]);
  });

  it('putStream: a 12 MiB stream lands whole in parts; over the limit it fails too_large and leaves no part', async () => {
    const key = assetObjectKey(alice, asset());
    async function* chunks(total: number) {
      for (let sent = 0; sent < total; sent += MiB) yield Buffer.alloc(Math.min(MiB, total - sent), 7);
    }
    expect(
      await putStream(key, chunks(12 * MiB), { contentType: 'application/pdf', maxBytes: 20 * MiB }),
    ).toEqual({
      size: 12 * MiB,
    });
    const stored = await getObject(key);
    expect(stored).toMatchObject({ size: 12 * MiB, contentType: 'application/pdf' });
    stored!.body.destroy();

    const over = assetObjectKey(alice, asset());
    await expect(
      putStream(over, chunks(12 * MiB), { contentType: null, maxBytes: 11 * MiB }),
    ).rejects.toMatchObject({
      name: 'DocumentFailure',
      code: 'too_large',
    });
    expect(await uploads()).toEqual([]);
    expect(await objectExists(over)).toBe(false);
  });
});
