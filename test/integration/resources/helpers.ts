import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, inject, vi } from 'vitest';
import { type RouteKey, routes } from '#functions/routes';
import { accessClaims, httpApiEvent, invoke, lambdaContext } from '#local/lambda';
import { type LocalS3, startLocalS3 } from '#local/s3/server';
import { withTenant } from '#shared/db/tenant';
import type { HttpEvent, HttpResult } from '#shared/http/handler';
import { ROUTE_DEFAULTS, type RouteDef } from '#shared/http/route';
import { insertBrandVoiceRow } from '#shared/resources/brand-voice-assets/service';
import { createCompetitor } from '#shared/resources/competitors/service';
import { createContent } from '#shared/resources/content/service';
import { createCalendarEntry } from '#shared/resources/content-calendar/service';
import { createPublishedPost } from '#shared/resources/published-posts/service';
import { withClient } from '../../support/db.ts';

// The file route presigns a GET (offline: signing needs only a bucket name and credentials).
process.env.DOCUMENTS_BUCKET ??= 'brand-documents-test';

/**
 * A real local document store (s3rver behind its POST check) for the file's tests: deleting an uploaded asset
 * deletes its original there.
 */
export function useDocumentStore(): () => LocalS3 {
  let store: LocalS3 | undefined;
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'brand-s3-'));
    store = await startLocalS3({ directory: dir, bucket: 'brand-documents-test', allowedOrigins: [] });
    vi.stubEnv('DOCUMENTS_BUCKET', store.bucket);
    vi.stubEnv('DOCUMENTS_S3_ENDPOINT', store.endpoint);
    vi.stubEnv('DOCUMENTS_S3_ACCESS_KEY_ID', store.credentials.accessKeyId);
    vi.stubEnv('DOCUMENTS_S3_SECRET_ACCESS_KEY', store.credentials.secretAccessKey);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await store?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return () => store!;
}

/** The parts of a request a test varies; everything else is filled in as API Gateway would. */
export interface RequestOptions {
  userId?: string | undefined;
  /** A JSON value to send (serialised), or a raw string with `raw`. */
  body?: unknown;
  raw?: string;
  contentType?: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  claims?: Record<string, unknown>;
}

export interface Response {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: a parsed JSON body, inspected field by field in tests
  body: any;
}

/** The event API Gateway would send for this request (its JWT authorizer having accepted an access token). */
export function httpEvent(route: RouteDef, options: RequestOptions = {}): HttpEvent {
  const bodyText =
    options.raw ?? (options.body === undefined ? undefined : (JSON.stringify(options.body) ?? undefined));
  const headers: Record<string, string> = { host: 'api.test' };
  if (bodyText !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const claims = options.claims ?? (options.userId ? accessClaims(options.userId, 'test-client') : undefined);
  return httpApiEvent({
    method: route.method,
    routePath: route.path,
    ...(options.params ? { pathParameters: options.params } : {}),
    ...(options.query ? { query: options.query } : {}),
    headers,
    ...(bodyText !== undefined ? { body: bodyText } : {}),
    ...(claims ? { claims } : {}),
  });
}

type LambdaHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;
const handlers = new Map<string, Promise<LambdaHandler>>();

/** The real exported handler of a route (functions/<key>.ts), loaded once. */
export function handlerFor(key: string): Promise<LambdaHandler> {
  let handler = handlers.get(key);
  if (!handler) {
    const file = new URL(`../../../functions/${key}.ts`, import.meta.url).href;
    handler = import(/* @vite-ignore */ file).then((m: { handler: LambdaHandler }) => m.handler);
    handlers.set(key, handler);
  }
  return handler;
}

/** Calls a route's real handler with a constructed event and parses the answer. */
export async function call(key: RouteKey | string, options: RequestOptions = {}): Promise<Response> {
  const route = (routes as Record<string, RouteDef>)[key];
  if (!route) throw new Error(`No route ${key}`);
  const handler = await handlerFor(key);
  const context = lambdaContext({
    functionName: key,
    timeoutSeconds: route.timeoutSeconds ?? ROUTE_DEFAULTS.timeoutSeconds,
  });
  const result = await invoke(handler, httpEvent(route, options), context);
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  return {
    status: result.statusCode ?? 200,
    headers,
    body: result.body === undefined || result.body === '' ? undefined : JSON.parse(result.body),
  };
}

/** A superuser connection to the test file's database: sees every tenant's rows (RLS does not apply). */
export function superuserUrl(database: string): string {
  const url = new URL(inject('adminUrl'));
  url.pathname = `/${database}`;
  return url.toString();
}

export async function asSuperuser<T = Record<string, unknown>>(
  database: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  return withClient(superuserUrl(database), async (c) => (await c.query(sql, values)).rows as T[]);
}

/** Every tenant table, with its rows of one user, as JSON text: compared before/after to prove nothing changed. */
export const TENANT_TABLES = [
  'brand_strategy',
  'competitors',
  'brand_voice_assets',
  'content_library',
  'content_calendar',
  'published_posts',
  'audit_log',
] as const;

export async function snapshotUser(database: string, userId: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  await withClient(superuserUrl(database), async (c) => {
    for (const table of TENANT_TABLES) {
      const { rows } = await c.query(
        `select row_to_json(t)::text as row from ${table} t where t.user_id = $1 order by t.id`,
        [userId],
      );
      out[table] = rows.map((r) => r.row as string);
    }
  });
  return out;
}

export async function rowJson(database: string, table: string, id: string): Promise<string | undefined> {
  const [row] = await asSuperuser<{ row: string }>(
    database,
    `select row_to_json(t)::text as row from ${table} t where t.id = $1`,
    [id],
  );
  return row?.row;
}

/**
 * One factory per `resource` named in the route table: how to create a row of that resource for a user, which
 * table it lives in, and a valid PATCH body. The cross-tenant matrix fails for a `{id}` route whose resource
 * has no factory here, so a new resource cannot go untested.
 */
export interface ResourceFactory {
  table: string;
  create(userId: string): Promise<string>;
  patch: Record<string, unknown>;
}

let counter = 0;
const unique = (prefix: string) => `${prefix} ${++counter} ${randomUUID().slice(0, 8)}`;

export const resourceFactories: Record<string, ResourceFactory> = {
  competitor: {
    table: 'competitors',
    create: async (userId) =>
      (
        await createCompetitor(userId, {
          name: unique('Acme'),
          strengths: ['price'],
          website: 'https://acme.example',
        })
      ).id,
    patch: { notes: 'changed by someone else' },
  },
  brand_voice_asset: {
    table: 'brand_voice_assets',
    // An uploaded, extracted document (it has a file, so GET /brand-voice-assets/{id}/file answers the owner).
    create: async (userId) =>
      (
        await withTenant(userId, (tx) =>
          insertBrandVoiceRow(
            tx,
            userId,
            {
              title: unique('Guide'),
              category: 'messaging',
              content: 'Be kind.',
              status: 'ready',
              wordCount: 2,
              source: 'upload',
              fileName: 'guide.pdf',
              mimeType: 'application/pdf',
              fileSize: 1234,
              fileSha256: 'a'.repeat(64),
              filePages: 1,
            },
            { source: 'upload' },
          ),
        )
      ).id,
    patch: { title: 'Hijacked' },
  },
  content: {
    table: 'content_library',
    create: async (userId) =>
      (await createContent(userId, { title: unique('Post'), contentType: 'blog_post', tags: ['a'] })).id,
    patch: { status: 'archived' },
  },
  content_calendar_entry: {
    table: 'content_calendar',
    create: async (userId) => {
      const content = await createContent(userId, { title: unique('Scheduled'), contentType: 'social_post' });
      return (
        await createCalendarEntry(userId, {
          contentId: content.id,
          channel: 'linkedin',
          scheduledFor: '2030-01-01T09:00:00Z',
        })
      ).id;
    },
    patch: { status: 'cancelled' },
  },
  published_post: {
    table: 'published_posts',
    create: async (userId) =>
      (
        await createPublishedPost(userId, {
          channel: 'twitter',
          publishedAt: '2024-05-01T12:00:00Z',
          metrics: { likes: 3 },
        })
      ).id,
    patch: { metrics: { likes: 9000 } },
  },
};
