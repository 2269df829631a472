import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { optionalEnv, requireEnv } from '#shared/config';
import { DocumentFailure } from './failure.ts';
import { USERS_PREFIX, userPrefix } from './keys.ts';
import { DOWNLOAD_URL_TTL_SECONDS, UPLOAD_URL_TTL_SECONDS } from './limits.ts';

/**
 * The document store: one private bucket (DOCUMENTS_BUCKET). In AWS the client uses the function's role; locally
 * (`npm start`, tests) DOCUMENTS_S3_ENDPOINT points it at the loopback S3 stand-in, path-style, with that
 * server's own credentials. The same SDK calls run in both.
 */
let client: S3Client | undefined;
let clientKey = '';

export const documentsBucket = (): string => requireEnv('DOCUMENTS_BUCKET');

export function s3(): S3Client {
  const endpoint = optionalEnv('DOCUMENTS_S3_ENDPOINT');
  const key = `${endpoint ?? ''}|${process.env.AWS_REGION ?? ''}`;
  if (client && key === clientKey) return client;
  clientKey = key;
  client = new S3Client({
    ...(endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          credentials: {
            accessKeyId: requireEnv('DOCUMENTS_S3_ACCESS_KEY_ID'),
            secretAccessKey: requireEnv('DOCUMENTS_S3_SECRET_ACCESS_KEY'),
          },
        }
      : {}),
    // Checksums on every request are not supported by every S3-compatible server; S3 does not need them here.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return client;
}

export interface PresignedUpload {
  url: string;
  fields: Record<string, string>;
  expiresAt: string;
  maxSize: number;
}

/** A browser POST that can write exactly `key`, with exactly `contentType`, of 1..maxSize bytes, for 15 minutes. */
export async function presignUpload(
  key: string,
  contentType: string,
  maxSize: number,
): Promise<PresignedUpload> {
  if (!key.startsWith(USERS_PREFIX)) throw new Error('Uploads are only presigned under users/');
  const expiresAt = new Date(Date.now() + UPLOAD_URL_TTL_SECONDS * 1000);
  const { url, fields } = await createPresignedPost(s3(), {
    Bucket: documentsBucket(),
    Key: key,
    Conditions: [
      ['content-length-range', 1, maxSize],
      ['eq', '$Content-Type', contentType],
    ],
    Fields: { 'Content-Type': contentType },
    Expires: UPLOAD_URL_TTL_SECONDS,
  });
  return { url, fields, expiresAt: expiresAt.toISOString(), maxSize };
}

/** A file name safe in a Content-Disposition header: no paths, controls, quotes or non-ASCII in the fallback. */
export function sanitiseFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '')
    .replace(/["*:<>?|]/g, '_')
    .replace(/^\.+/, '')
    .trim()
    .slice(0, 200);
  return cleaned || 'document';
}

export function contentDisposition(name: string): string {
  const safe = sanitiseFileName(name);
  const ascii = safe.replace(/[^\x20-\x7e]/g, '_').replace(/[\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(safe)}`;
}

export async function presignDownload(
  key: string,
  fileName: string,
): Promise<{ url: string; expiresAt: string }> {
  const expiresAt = new Date(Date.now() + DOWNLOAD_URL_TTL_SECONDS * 1000);
  const url = await getSignedUrl(
    s3(),
    new GetObjectCommand({
      Bucket: documentsBucket(),
      Key: key,
      ResponseContentDisposition: contentDisposition(fileName),
    }),
    { expiresIn: DOWNLOAD_URL_TTL_SECONDS },
  );
  return { url, expiresAt: expiresAt.toISOString() };
}

export interface StoredObject {
  body: Readable;
  size: number;
  contentType: string | undefined;
  versionId: string | undefined;
  eTag: string | undefined;
}

export async function getObject(key: string): Promise<StoredObject | null> {
  try {
    const out = await s3().send(new GetObjectCommand({ Bucket: documentsBucket(), Key: key }));
    return {
      body: out.Body as Readable,
      size: out.ContentLength ?? 0,
      contentType: out.ContentType,
      versionId: out.VersionId,
      eTag: out.ETag,
    };
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return null;
    throw error;
  }
}

export async function objectExists(key: string): Promise<boolean> {
  try {
    await s3().send(new HeadObjectCommand({ Bucket: documentsBucket(), Key: key }));
    return true;
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return false;
    throw error;
  }
}

/** Parts of 5 MiB (S3's minimum), two in flight: a copy holds about 15 MiB whatever the file's size. */
const PART_SIZE = 5 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

/**
 * Streams `body` into `key`: one PutObject for a small file, else a multipart upload (@aws-sdk/lib-storage)
 * with bounded memory. More than `maxBytes` → DocumentFailure too_large as soon as the limit is passed. On any
 * failure the multipart upload is aborted (lib-storage's default), so no object and no part is left behind.
 */
export async function putStream(
  key: string,
  body: AsyncIterable<Uint8Array>,
  options: { contentType: string | null; maxBytes: number },
): Promise<{ size: number }> {
  if (!key.startsWith(USERS_PREFIX)) throw new Error('Objects are only written under users/');
  let size = 0;
  async function* limited(): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > options.maxBytes) throw new DocumentFailure('too_large', 'file');
      yield chunk;
    }
  }
  const upload = new Upload({
    client: s3(),
    params: {
      Bucket: documentsBucket(),
      Key: key,
      Body: Readable.from(limited()),
      ...(options.contentType ? { ContentType: options.contentType } : {}),
    },
    partSize: PART_SIZE,
    queueSize: PARTS_IN_FLIGHT,
    leavePartsOnError: false,
  });
  await upload.done();
  return { size };
}

/** Deletes one object (idempotent: a key that is not there is no error, as in S3). */
export async function deleteObject(key: string): Promise<void> {
  if (!key.startsWith(USERS_PREFIX)) throw new Error('Only objects under users/ are deleted');
  await s3().send(new DeleteObjectCommand({ Bucket: documentsBucket(), Key: key }));
}

/** Deletes every object under the user's prefix (account deletion); returns how many were deleted. */
export async function deleteUserObjects(userId: string): Promise<number> {
  const prefix = userPrefix(userId);
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3().send(
      new ListObjectsV2Command({ Bucket: documentsBucket(), Prefix: prefix, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).map((o) => o.Key!).filter((k) => k.startsWith(prefix));
    if (keys.length > 0) {
      await s3().send(
        new DeleteObjectsCommand({
          Bucket: documentsBucket(),
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      deleted += keys.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}
