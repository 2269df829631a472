import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import S3rver from 's3rver';
import { checkPostPolicy, type PostRefusal } from './post-policy.ts';

/**
 * The local document store behind `npm start` and the tests: s3rver (an S3-compatible server from npm, data on
 * disk) behind a thin front that does what s3rver does not and S3 does: it verifies every browser POST (SigV4
 * policy signature, expiry, exact key, content type, content-length-range) and refuses what S3 refuses, answers
 * CORS for the web app's origin, refuses expired presigned GETs, and turns s3rver's object-created
 * notifications into SQS-shaped events (the shape the document worker gets from SQS in AWS).
 */
export interface LocalS3 {
  /** Path-style endpoint for the SDK (`http://127.0.0.1:port`). */
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Subscribes to object-created notifications, delivered as SQS events (one record each). */
  onObjectCreated(listener: (event: SQSEvent) => void): void;
  stop(): Promise<void>;
}

export interface LocalS3Options {
  directory: string;
  bucket: string;
  region?: string;
  /** Origins allowed by the bucket's CORS rule (the web app). */
  allowedOrigins?: string[];
  /** Largest POST body read before refusing (the policy's range is checked exactly after parsing). */
  maxPostBytes?: number;
}

/** s3rver's only account; header-signed SDK requests must use it. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

const xmlError = (res: http.ServerResponse, refusal: PostRefusal, cors: Record<string, string>) => {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${refusal.message
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
  res.writeHead(refusal.status, { 'content-type': 'application/xml', ...cors });
  res.end(body);
};

async function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function forward(
  target: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  cors: Record<string, string>,
  body?: Buffer,
): void {
  const headers = { ...req.headers };
  if (body) headers['content-length'] = String(body.length);
  // No keep-alive towards s3rver, and a request the client gave up on (an aborted part upload) is given up
  // upstream too: otherwise s3rver keeps waiting for the rest of its body and never closes.
  const upstream = http.request(
    `${target}${req.url}`,
    { method: req.method, headers, agent: false },
    (up) => {
      res.writeHead(up.statusCode ?? 502, { ...up.headers, ...cors });
      up.pipe(res);
    },
  );
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  if (body) upstream.end(body);
  else req.pipe(upstream);
}

/** A presigned GET (query SigV4) past `X-Amz-Date + X-Amz-Expires` is refused as S3 does. */
function presignExpired(url: URL): boolean {
  const date = url.searchParams.get('X-Amz-Date');
  const expires = Number(url.searchParams.get('X-Amz-Expires'));
  if (!date || !Number.isFinite(expires)) return false;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m) return true;
  const signed = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Date.now() > signed + expires * 1000;
}

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * What s3rver lacks of multipart uploads and S3 has: AbortMultipartUpload (lib-storage aborts a failed upload
 * with it) and ListMultipartUploads (how tests see that nothing was left behind). s3rver keeps an upload's parts
 * in `<bucket>/._S3rver_uploads/<uploadId>/` with the key in a `key` file.
 */
function multipartUploads(directory: string, bucket: string) {
  const root = path.join(directory, bucket, '._S3rver_uploads');
  const keyOf = (uploadId: string) =>
    /^[0-9a-f]{32}$/.test(uploadId)
      ? readFile(path.join(root, uploadId, 'key'), 'utf8').catch(() => null)
      : Promise.resolve(null);
  return {
    async abort(uploadId: string, key: string): Promise<boolean> {
      if ((await keyOf(uploadId)) !== key) return false;
      await rm(path.join(root, uploadId), { recursive: true, force: true });
      return true;
    },
    async list(prefix: string): Promise<string> {
      const ids = await readdir(root).catch(() => [] as string[]);
      const uploads: string[] = [];
      for (const id of ids.sort()) {
        const key = await keyOf(id);
        if (key === null || !key.startsWith(prefix)) continue;
        const initiated = (await stat(path.join(root, id)).catch(() => null))?.birthtime ?? new Date();
        uploads.push(
          `<Upload><Key>${xmlText(key)}</Key><UploadId>${id}</UploadId><Initiated>${initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
        );
      }
      return `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlText(bucket)}</Bucket><Prefix>${xmlText(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`;
    },
  };
}

/** S3 event keys are URL-encoded with `+` for spaces. */
const encodeEventKey = (key: string): string =>
  encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const region = options.region ?? 'us-east-1';
  const maxPost = options.maxPostBytes ?? 51 * 1024 * 1024 + 64 * 1024;
  await mkdir(options.directory, { recursive: true });
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: options.directory,
    silent: true,
    configureBuckets: [{ name: options.bucket }],
  });
  const inner = await s3rver.run();
  const target = `http://127.0.0.1:${inner.port}`;
  const listeners: Array<(event: SQSEvent) => void> = [];

  s3rver.on('event', (event) => {
    for (const record of event.Records) {
      if (!String(record.eventName ?? '').startsWith('ObjectCreated:')) continue;
      const s3 = record.s3 as { object: { key: string } };
      const body = {
        Records: [
          {
            ...record,
            awsRegion: region,
            s3: { ...s3, object: { ...s3.object, key: encodeEventKey(s3.object.key) } },
          },
        ],
      };
      const sqs: SQSRecord = {
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body: JSON.stringify(body),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'local-s3',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${region}:000000000000:local-documents`,
        awsRegion: region,
      };
      for (const listener of listeners) listener({ Records: [sqs] });
    }
  });

  const multipart = multipartUploads(options.directory, options.bucket);
  const allowed = new Set(options.allowedOrigins ?? []);
  const server = http.createServer(async (req, res) => {
    const origin = req.headers.origin;
    const cors: Record<string, string> =
      origin && allowed.has(origin)
        ? { 'access-control-allow-origin': origin, vary: 'Origin', 'access-control-expose-headers': 'ETag' }
        : {};
    try {
      const url = new URL(req.url ?? '/', 'http://local');
      if (req.method === 'OPTIONS') {
        if (!cors['access-control-allow-origin']) {
          xmlError(
            res,
            {
              status: 403,
              code: 'AccessForbidden',
              message: 'CORSResponse: This CORS request is not allowed.',
            },
            {},
          );
          return;
        }
        res.writeHead(200, {
          ...cors,
          'access-control-allow-methods': 'GET, HEAD, POST',
          'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? '*'),
          'access-control-max-age': '3000',
        });
        res.end();
        return;
      }
      if (req.method === 'GET' && url.searchParams.has('X-Amz-Algorithm') && presignExpired(url)) {
        xmlError(res, { status: 403, code: 'AccessDenied', message: 'Request has expired' }, cors);
        return;
      }
      const uploadId = url.searchParams.get('uploadId');
      const objectPrefix = `/${options.bucket}/`;
      if (req.method === 'DELETE' && uploadId !== null && url.pathname.startsWith(objectPrefix)) {
        const key = decodeURIComponent(url.pathname.slice(objectPrefix.length));
        if (!(await multipart.abort(uploadId, key))) {
          xmlError(
            res,
            { status: 404, code: 'NoSuchUpload', message: 'The specified upload does not exist.' },
            cors,
          );
          return;
        }
        res.writeHead(204, cors);
        res.end();
        return;
      }
      const bucketPath = url.pathname === `/${options.bucket}` || url.pathname === `/${options.bucket}/`;
      if (req.method === 'GET' && bucketPath && url.searchParams.has('uploads')) {
        res.writeHead(200, { 'content-type': 'application/xml', ...cors });
        res.end(await multipart.list(url.searchParams.get('prefix') ?? ''));
        return;
      }
      const postToBucket = req.method === 'POST' && url.pathname === `/${options.bucket}` && !url.search;
      if (!postToBucket) {
        forward(target, req, res, cors);
        return;
      }
      const body = await readBody(req, maxPost);
      if (!body) {
        xmlError(
          res,
          {
            status: 400,
            code: 'EntityTooLarge',
            message: 'Your proposed upload exceeds the maximum allowed size',
          },
          cors,
        );
        return;
      }
      let form: FormData;
      try {
        form = await new Request('http://local/', {
          method: 'POST',
          headers: { 'content-type': String(req.headers['content-type'] ?? '') },
          body,
        }).formData();
      } catch {
        xmlError(
          res,
          {
            status: 400,
            code: 'MalformedPOSTRequest',
            message: 'The body of your POST request is not well-formed multipart/form-data.',
          },
          cors,
        );
        return;
      }
      const fields: Array<[string, string]> = [];
      let fileSize: number | null = null;
      for (const [name, value] of form.entries()) {
        if (typeof value === 'string') fields.push([name, value]);
        else if (name === 'file') fileSize = value.size;
      }
      const refusal = checkPostPolicy({ bucket: options.bucket, fields, fileSize, credentials: CREDENTIALS });
      if (refusal) {
        xmlError(res, refusal, cors);
        return;
      }
      forward(target, req, res, cors, body);
    } catch {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: options.bucket,
    region,
    credentials: CREDENTIALS,
    onObjectCreated: (listener) => listeners.push(listener),
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await s3rver.close();
    },
  };
}
