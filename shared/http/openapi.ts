import * as z from 'zod';
import type { RouteDef } from './route.ts';
import { problemDetails } from './schemas.ts';

/**
 * The OpenAPI 3.1 document, generated from the route table and the same zod schemas that validate requests
 * (zod 4's native JSON Schema output, draft 2020-12, which is OpenAPI 3.1's schema dialect). Every route in
 * the table appears; nothing is listed by hand.
 */
type Json = Record<string, unknown>;
type JsonSchema = Json;

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const PROBLEM_JSON = 'application/problem+json';

const PROBLEMS: Record<string, string> = {
  '400': 'Malformed JSON, schema violation (every bad field in `errors`), malformed id or bad cursor',
  '401': 'Missing or invalid access token',
  '404': 'Not found (another user’s resource looks exactly like a missing one)',
  '409': 'Conflict',
  '413': 'Request body over 2 MiB',
  '415': 'Request body is not JSON',
  '422': 'A reference to something the caller does not own',
  '503': 'Database or provider temporarily unavailable (with Retry-After)',
};

/** Moves `$defs` into components.schemas and points every `$ref` there; generated names get a unique prefix. */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  add(schema: z.ZodType, io: 'input' | 'output', prefix: string): JsonSchema {
    const raw = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
    const { $schema: _dialect, $defs, ...root } = raw;
    const defs = ($defs as Record<string, Json> | undefined) ?? {};
    const names = new Map<string, string>();
    for (const name of Object.keys(defs)) {
      names.set(name, name.startsWith('__') ? `${prefix}${name.replace(/^_+/, '_')}` : name);
    }
    // A named lazy schema (e.g. JsonValue) comes out as an alias of a generated definition: give that
    // definition the name, so it is described once for the whole document.
    for (const [name, def] of Object.entries(defs)) {
      const target = typeof def.$ref === 'string' ? def.$ref.slice('#/$defs/'.length) : '';
      if (!name.startsWith('__') && Object.keys(def).length === 1 && target.startsWith('__')) {
        names.set(target, name);
        delete defs[name];
      }
    }
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (value === null || typeof value !== 'object') return value;
      const out: Json = {};
      for (const [key, inner] of Object.entries(value)) {
        if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')) {
          const name = inner.slice('#/$defs/'.length);
          out.$ref = `#/components/schemas/${names.get(name) ?? name}`;
        } else if (key === '$ref' && inner === '#') {
          out.$ref = `#/components/schemas/${prefix}`;
          this.schemas[prefix] ??= rewrite(root) as JsonSchema;
        } else out[key] = rewrite(inner);
      }
      return out;
    };
    for (const [name, def] of Object.entries(defs)) {
      this.schemas[names.get(name)!] ??= rewrite(def) as JsonSchema;
    }
    return rewrite(root) as JsonSchema;
  }

  /** The object schema behind a (possibly `$ref`-only) schema, for turning properties into parameters. */
  resolve(schema: JsonSchema): JsonSchema {
    const ref = schema.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/'))
      return this.resolve(this.schemas[ref.slice('#/components/schemas/'.length)] ?? {});
    return schema;
  }
}

const pathParamNames = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

function parameters(
  components: Components,
  def: RouteDef,
  key: string,
): Array<{
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
  description?: string;
}> {
  const out: ReturnType<typeof parameters> = [];
  const pathSchema = def.params
    ? components.resolve(components.add(def.params, 'input', `${key}_params`))
    : {};
  const pathProps = (pathSchema.properties ?? {}) as Record<string, JsonSchema>;
  for (const name of pathParamNames(def.path)) {
    out.push({ name, in: 'path', required: true, schema: pathProps[name] ?? { type: 'string' } });
  }
  if (def.query) {
    const query = components.resolve(components.add(def.query, 'input', `${key}_query`));
    const required = new Set((query.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((query.properties ?? {}) as Record<string, JsonSchema>)) {
      const { description, ...rest } = schema;
      out.push({
        name,
        in: 'query',
        // A parameter with a default is optional for the client even though zod's input marks it present.
        required: required.has(name) && rest.default === undefined,
        schema: rest,
        ...(typeof description === 'string' ? { description } : {}),
      });
    }
  }
  return out;
}

function operation(components: Components, key: string, def: RouteDef): Json {
  const id = key.replace(/[^A-Za-z0-9]+/g, '_');
  const responses: Json = {};
  if (def.responseKind === 'empty') responses[String(def.status)] = { description: 'No content' };
  else if (def.responseKind === 'redirect') {
    responses[String(def.status)] = {
      description: 'Redirect',
      headers: { Location: { schema: { type: 'string', format: 'uri' } } },
    };
  } else {
    responses[String(def.status)] = {
      description: def.summary,
      content: {
        'application/json': {
          schema: def.response ? components.add(def.response, 'output', `${id}_response`) : {},
        },
      },
    };
  }
  const problem = (status: string) => {
    responses[status] = {
      description: PROBLEMS[status],
      content: { [PROBLEM_JSON]: { schema: PROBLEM_REF } },
    };
  };
  // Every route refuses unknown query parameters, so every route can answer 400.
  problem('400');
  if (def.auth === 'jwt') problem('401');
  if (pathParamNames(def.path).length) problem('404');
  if (def.body) {
    problem('413');
    problem('415');
  }
  if (def.capabilities.length > 0) problem('503');
  responses.default = {
    description: 'Any other problem (409, 422, 429, 502, …) as RFC 9457 problem details',
    content: { [PROBLEM_JSON]: { schema: PROBLEM_REF } },
  };
  const params = parameters(components, def, id);
  return {
    operationId: id,
    summary: def.summary,
    tags: [def.tag],
    security: def.auth === 'jwt' ? [{ bearerAuth: [] }] : [],
    ...(params.length ? { parameters: params } : {}),
    ...(def.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: components.add(def.body, 'input', `${id}_body`) } },
          },
        }
      : {}),
    responses,
  };
}

/** The document of a route table (keyed by entry file, as `functions/routes.ts`). Nothing is listed by hand. */
export function openApiDocument(routes: Readonly<Record<string, RouteDef>>): Json {
  const entries = Object.entries(routes);
  const components = new Components();
  components.schemas.Problem = components.add(problemDetails, 'output', 'Problem');
  const paths: Record<string, Record<string, Json>> = {};
  for (const [key, def] of entries) {
    paths[def.path] ??= {};
    paths[def.path]![def.method.toLowerCase()] = operation(components, key, def);
  }
  const tags = [...new Set(entries.map(([, def]) => def.tag))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Brand Cloud API',
      version: '0.1.0',
      description:
        'Multi-tenant brand-marketing backend. Errors are RFC 9457 problem details; lists are keyset-paginated.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags,
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A Cognito access token (ID tokens are refused).',
        },
      },
    },
  };
}
