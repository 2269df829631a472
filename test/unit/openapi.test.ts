import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { handler } from '#functions/openapi/get';
import { routeEntries, routes } from '#functions/routes';
import { httpApiEvent, lambdaContext } from '#local/lambda';
import { openApiDocument } from '#shared/http/openapi';
import type { RouteDef } from '#shared/http/route';

// biome-ignore lint/suspicious/noExplicitAny: walking an untyped JSON document
type Doc = any;
const doc: Doc = openApiDocument(routes);
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
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.split('/').at(-1)!], ref).toBeDefined();
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
    expect(doc.paths['/competitors/{id}'].delete.responses['204']).toEqual({ description: 'No content' });
    expect(doc.components.schemas.Problem.required).toEqual(
      expect.arrayContaining(['type', 'title', 'status']),
    );
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
    const built: Doc = openApiDocument({ ...routes, 'widgets/spin': extra });
    const op = built.paths['/widgets/{widgetId}/spin'].post;
    expect(op.parameters).toEqual([
      expect.objectContaining({ name: 'widgetId', in: 'path', required: true }),
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
