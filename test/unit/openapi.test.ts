import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { handler } from '#functions/openapi/get';
import { routeDocs } from '#functions/route-docs';
import { routeEntries, routes } from '#functions/routes';
import { httpApiEvent, lambdaContext } from '#local/lambda';
import { openApiDocument, PROBLEM_TYPES } from '#shared/http/openapi';
import type { RouteDef } from '#shared/http/route';
import { createContractChecker } from '../support/contract.ts';

// biome-ignore lint/suspicious/noExplicitAny: walking an untyped JSON document
type Doc = any;
const doc: Doc = openApiDocument(routes, routeDocs);
const entries = routeEntries() as Array<[string, RouteDef]>;

function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with a bearer JWT security scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it.each(entries)('describes %s', (key, def) => {
    const op = doc.paths[def.path]?.[def.method.toLowerCase()];
    expect(op, `${def.method} ${def.path} is missing`).toBeDefined();
    expect(op.operationId).toBe(key.replace(/[^A-Za-z0-9]+/g, '_'));
    expect(op.security).toEqual(def.auth === 'jwt' ? [{ bearerAuth: [] }] : []);
    expect(Object.keys(op.responses)).toContain(String(def.status));
    if (def.auth === 'jwt') expect(op.responses['401']).toBeDefined();
    for (const name of [...def.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
      expect(op.parameters).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
    }
    if (def.body) {
      expect(op.requestBody.content['application/json'].schema).toBeDefined();
      expect(op.responses['413']).toBeDefined();
      expect(op.responses['415']).toBeDefined();
    } else expect(op.requestBody).toBeUndefined();
    if (def.query) {
      const query = z.toJSONSchema(def.query, { io: 'input', unrepresentable: 'any' }) as Doc;
      const root = query.properties ? query : Object.values(query.$defs ?? {})[0];
      const props = Object.keys(root?.properties ?? {});
      for (const name of props)
        expect(op.parameters).toContainEqual(expect.objectContaining({ name, in: 'query' }));
    }
  });

  it('resolves every $ref inside the document and leaves no $schema or $defs behind', () => {
    const text = JSON.stringify(doc);
    expect(text).not.toContain('"$schema"');
    expect(text).not.toContain('#/$defs/');
    for (const ref of refs(doc)) {
      const [, , section, name] = ref.split('/');
      expect(ref).toMatch(/^#\/components\/(schemas|headers)\//);
      expect(doc.components[section!][name!], ref).toBeDefined();
    }
  });

  it('uses the validating schemas: a strict, required-field body and a page response', () => {
    const create = doc.components.schemas.CompetitorCreate;
    expect(create).toMatchObject({ type: 'object', additionalProperties: false, required: ['name'] });
    expect(create.properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 200 });
    const patch = doc.components.schemas.CompetitorPatch;
    expect(patch).toMatchObject({ minProperties: 1, additionalProperties: false });
    expect(patch.required).toBeUndefined();
    const list = doc.paths['/competitors'].get;
    expect(list.parameters).toContainEqual(
      expect.objectContaining({
        name: 'limit',
        in: 'query',
        required: false,
        schema: expect.objectContaining({ maximum: 100 }),
      }),
    );
    expect(list.responses['200'].content['application/json'].schema.properties.items.items).toEqual({
      $ref: '#/components/schemas/Competitor',
    });
    expect(doc.paths['/competitors/{id}'].delete.responses['204']).toEqual({
      description: 'No content',
      headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
    });
    expect(doc.components.schemas.Problem.required).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'requestId']),
    );
  });

  it('passes swagger-parser validation and has servers, a license and a description for every tag', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
    expect(doc.servers?.length).toBeGreaterThan(0);
    expect(doc.info.license.name).toBeTruthy();
    for (const tag of doc.tags) expect(tag.description, tag.name).toBeTruthy();
  });

  it.each(entries.filter(([, def]) => def.body))(
    '%s has a request example its own schema accepts',
    (key, def) => {
      const example =
        doc.paths[def.path][def.method.toLowerCase()].requestBody.content['application/json'].example;
      expect(example, `add an example for ${key} in functions/route-docs.ts`).toBeDefined();
      expect(def.body!.safeParse(example).error?.issues).toBeUndefined();
    },
  );

  it('declares each status with its problem types, the gateway’s own answers and the headers', () => {
    const keys = new Set(entries.map(([key]) => key));
    for (const [key, docs] of Object.entries(routeDocs)) {
      expect(keys.has(key as never), `route-docs names ${key}, which is not in the route table`).toBe(true);
      for (const slug of docs?.problems ?? []) expect(PROBLEM_TYPES[slug], slug).toBeDefined();
    }
    const login = doc.paths['/auth/login'].post.responses;
    expect(login['403'].content['application/problem+json'].schema.allOf[1].properties.type.enum).toEqual([
      'urn:brand-cloud:problem:user-not-confirmed',
      'urn:brand-cloud:problem:password-reset-required',
      'urn:brand-cloud:problem:challenge-required',
    ]);
    const files = doc.paths['/cloud-storage/{provider}/files'].get.responses;
    expect(Object.keys(files)).toEqual(['200', '400', '401', '404', '409', '429', '500', '502', '503']);
    expect(files['429'].headers['Retry-After']).toBeDefined();
    expect(files['503'].headers['Retry-After']).toBeDefined();
    expect(files['401'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/GatewayMessage',
    });
    expect(files['200'].headers['X-Request-Id']).toBeDefined();
    for (const [, def] of entries) {
      const op = doc.paths[def.path][def.method.toLowerCase()];
      expect(op.responses.default, `${def.path}: no catch-all response`).toBeUndefined();
      expect(op.responses['500']).toBeDefined();
      expect(op.responses['429']).toBeDefined();
    }
  });

  it('routes with a per-user rate limit declare its 429 problem (rate-limited, Retry-After)', () => {
    for (const key of [
      'cloud-storage/connect',
      'brand-voice-assets/import',
      'brand-voice-assets/upload',
    ] as const) {
      const def = routes[key] as RouteDef;
      const limited = doc.paths[def.path][def.method.toLowerCase()].responses['429'];
      expect(
        limited.content?.['application/problem+json']?.schema.allOf[1].properties.type.enum,
        key,
      ).toContain('urn:brand-cloud:problem:rate-limited');
      expect(limited.headers['Retry-After'], key).toBeDefined();
    }
  });

  it('describes JsonValue without recursion (generated client types stay finite)', () => {
    expect(refs(doc.components.schemas.JsonValue)).toEqual([]);
  });

  it('the contract checker refuses an undeclared status, media type or body and accepts a declared answer', () => {
    const checker = createContractChecker(doc);
    const problem = (slug: string, status: number) =>
      JSON.stringify({
        type: `urn:brand-cloud:problem:${slug}`,
        title: 't',
        status,
        detail: 'd',
        requestId: 'r',
      });
    const id = '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
    expect(checker.check('GET', '/health', 200, 'application/json', '{"status":"ok"}')).toBeUndefined();
    expect(
      checker.check('GET', `/competitors/${id}`, 404, 'application/problem+json', problem('not-found', 404)),
    ).toBeUndefined();
    expect(
      checker.check('GET', `/competitors/${id}`, 409, 'application/problem+json', problem('conflict', 409)),
    ).toMatch(/status not declared/);
    expect(
      checker.check('GET', `/competitors/${id}`, 404, 'application/problem+json', problem('conflict', 404)),
    ).toMatch(/does not match/);
    expect(checker.check('GET', '/health', 200, 'text/html', '<p>')).toMatch(/media type/);
    expect(checker.check('GET', '/health', 200, 'application/json', '{"status":"fine"}')).toMatch(
      /does not match/,
    );
    expect(
      checker.check('GET', '/competitors', 401, 'application/json', '{"message":"Unauthorized"}'),
    ).toBeUndefined();
    expect(checker.check('DELETE', `/competitors/${id}`, 204, null, '')).toBeUndefined();
    expect(
      checker.check('GET', '/no-such-route', 404, 'application/json', '{"message":"Not Found"}'),
    ).toBeUndefined();
  });

  it('includes a route added to the table later, without listing it anywhere else', () => {
    const extra: RouteDef = {
      method: 'POST',
      path: '/widgets/{widgetId}/spin',
      auth: 'jwt',
      summary: 'Spin a widget',
      tag: 'widgets',
      capabilities: ['db'],
      params: z.strictObject({ widgetId: z.uuid() }),
      body: z.strictObject({ speed: z.number().int().min(1) }),
      status: 202,
      response: z.object({ spinning: z.boolean() }),
    };
    const built: Doc = openApiDocument({ ...routes, 'widgets/spin': extra }, routeDocs);
    const op = built.paths['/widgets/{widgetId}/spin'].post;
    expect(op.parameters).toEqual([
      expect.objectContaining({ name: 'widgetId', in: 'path', required: true }),
      // A mutating authenticated route accepts an Idempotency-Key.
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
    ]);
    expect(op.requestBody.content['application/json'].schema.properties.speed).toMatchObject({
      type: 'integer',
      minimum: 1,
    });
    expect(op.responses['202'].content['application/json'].schema.properties.spinning).toEqual({
      type: 'boolean',
    });
  });

  it('is served at GET /openapi.json without a token', async () => {
    const result = await handler(
      httpApiEvent({ method: 'GET', routePath: '/openapi.json' }),
      lambdaContext({ functionName: 'openapi/get', timeoutSeconds: 10 }),
    );
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(result.body!)).toEqual(doc);
  });
});
