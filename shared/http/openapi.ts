import * as z from 'zod/mini';
import { acceptsIdempotencyKey, type RouteDef } from './route.ts';
import { problemDetails } from './schemas.ts';

/**
 * The OpenAPI 3.1 document, generated from the route table and the same zod schemas that validate requests
 * (zod 4's native JSON Schema output, draft 2020-12, which is OpenAPI 3.1's schema dialect). Every route in
 * the table appears; nothing is listed by hand.
 */
type Json = Record<string, unknown>;
type JsonSchema = Json;

const PROBLEM_JSON = 'application/problem+json';

/**
 * Every problem type the API answers: slug (the `type` is `urn:brand-cloud:problem:<slug>`), status, meaning.
 * The README's problem-type table and the web app's messages cover the same list.
 */
export const PROBLEM_TYPES: Record<string, { status: number; meaning: string }> = {
  'validation-error': {
    status: 400,
    meaning: 'Schema violation, malformed id or bad cursor; every bad field is listed in `errors`',
  },
  'malformed-json': { status: 400, meaning: 'The body is not valid JSON' },
  unauthorized: { status: 401, meaning: 'Missing or invalid access token, or wrong credentials' },
  'user-not-confirmed': { status: 403, meaning: 'The email address is not confirmed yet' },
  'password-reset-required': { status: 403, meaning: 'The password must be reset before signing in' },
  'challenge-required': { status: 403, meaning: 'The account needs a sign-in step this API does not offer' },
  'not-found': {
    status: 404,
    meaning: 'Not found (another user’s resource looks exactly like a missing one)',
  },
  conflict: { status: 409, meaning: 'Conflicts with an existing resource (e.g. a duplicate name)' },
  'email-taken': { status: 409, meaning: 'An account with this email address already exists' },
  'reauth-required': { status: 409, meaning: 'The provider connection must be authorised again (reconnect)' },
  'account-mismatch': {
    status: 409,
    meaning: 'A re-consent returned another provider account without its own refresh token; nothing changed',
  },
  'payload-too-large': { status: 413, meaning: 'The body (or the file) is too large' },
  'unsupported-media-type': { status: 415, meaning: 'The body is not JSON' },
  'unknown-reference': { status: 422, meaning: 'A reference to something the caller does not own' },
  'idempotency-key-reused': {
    status: 422,
    meaning: 'The Idempotency-Key was already used (within 24 hours) for a different request',
  },
  'rate-limited': { status: 429, meaning: 'Too many requests (here or at the provider); see Retry-After' },
  'internal-error': { status: 500, meaning: 'An unexpected error; the body never carries internals' },
  'provider-error': { status: 502, meaning: 'The storage provider failed or refused the request' },
  unavailable: { status: 503, meaning: 'The database or identity service is briefly unavailable; retry' },
  contention: { status: 503, meaning: 'Too many concurrent updates of the same resource; retry' },
  'provider-backoff': {
    status: 503,
    meaning: 'The provider failed recently; the connection waits out its backoff (see Retry-After)',
  },
  'provider-unavailable': { status: 503, meaning: 'The provider asked us to retry later (see Retry-After)' },
  'provider-not-configured': {
    status: 503,
    meaning: 'This provider has no client credentials on the server',
  },
};

/** Answers API Gateway gives itself, before any function runs (`{ "message": … }`, not problem+json). */
const GATEWAY_ANSWERS: Record<string, string> = {
  '401': 'the JWT authorizer refused the token (`www-authenticate` says why)',
  '404': 'no such route or method',
  '413': 'the request is over 10 MB',
  '429': 'stage throttling',
  '500': 'the function failed without an answer',
  '503': 'the function could not be reached',
};

const TAG_DESCRIPTIONS: Record<string, string> = {
  meta: 'Health check and this document',
  auth: 'Sign-up, sign-in, token refresh and the caller’s profile (Cognito behind the scenes)',
  'cloud-storage': 'Connecting Google Drive, OneDrive and Dropbox, and browsing their files',
  'brand-voice': 'Brand voice assets: pasted, uploaded or imported documents and their extracted text',
  brand: 'The versioned brand strategy and the brand assets (colours, fonts, logo)',
  competitors: 'Competitors the brand is compared with',
  content: 'Content items, the content calendar and published posts',
  audit: 'The caller’s audit log (read-only)',
  events: 'The caller’s event feed (connection and document lifecycle)',
};

/** Moves `$defs` into components.schemas and points every `$ref` there; generated names get a unique prefix. */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  add(schema: z.core.$ZodType, io: 'input' | 'output', prefix: string): JsonSchema {
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
  in: 'path' | 'query' | 'header';
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
  if (acceptsIdempotencyKey(def)) {
    out.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
      description:
        'Makes a retry safe: a repeat with the same key and request within 24 hours returns the first response ' +
        'without writing again; the same key with another request is a 422. Keys are per user.',
    });
  }
  return out;
}

const problemUrn = (slug: string) => `urn:brand-cloud:problem:${slug}`;
const HEADERS = {
  'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
  'Retry-After': { $ref: '#/components/headers/Retry-After' },
};

/** The problem types a route can answer: the generic ones its kind implies, plus the ones it declares. */
function problemSlugs(def: RouteDef, docs: RouteDocs | undefined): Set<string> {
  const slugs = new Set<string>(['validation-error', 'internal-error']);
  if (def.body)
    for (const slug of ['malformed-json', 'payload-too-large', 'unsupported-media-type']) slugs.add(slug);
  if (def.auth === 'jwt') slugs.add('unauthorized');
  if (def.params && pathParamNames(def.path).includes('id')) slugs.add('not-found');
  const caps = def.capabilities as readonly string[];
  if (caps.includes('db') || caps.includes('cognito') || caps.includes('vault')) slugs.add('unavailable');
  if (caps.includes('providers') && def.auth === 'jwt') slugs.add('provider-not-configured');
  // A route that calls a provider with stored tokens refreshes them on use, and may wait out a backoff.
  if (caps.includes('providers') && caps.includes('vault') && def.auth === 'jwt') {
    slugs.add('provider-backoff');
    slugs.add('provider-unavailable');
  }
  if (acceptsIdempotencyKey(def)) slugs.add('idempotency-key-reused');
  for (const slug of docs?.problems ?? []) slugs.add(slug);
  return slugs;
}

/** Statuses API Gateway itself may answer for this route (before or instead of the function). */
function gatewayStatuses(def: RouteDef): string[] {
  return ['429', '500', '503', ...(def.auth === 'jwt' ? ['401'] : []), ...(def.body ? ['413'] : [])];
}

function operation(components: Components, key: string, def: RouteDef, docs: RouteDocs | undefined): Json {
  const id = key.replace(/[^A-Za-z0-9]+/g, '_');
  const responses: Record<string, Json> = {};
  if (def.responseKind === 'empty') {
    responses[String(def.status)] = {
      description: 'No content',
      headers: { 'X-Request-Id': HEADERS['X-Request-Id'] },
    };
  } else if (def.responseKind === 'redirect') {
    responses[String(def.status)] = {
      description: 'Redirect',
      headers: { Location: { schema: { type: 'string', format: 'uri' } } },
    };
  } else {
    const schema = def.response ? components.add(def.response, 'output', `${id}_response`) : {};
    responses[String(def.status)] = {
      description: def.summary,
      headers: { 'X-Request-Id': HEADERS['X-Request-Id'] },
      content: { 'application/json': { schema } },
    };
    for (const [status, description] of Object.entries(def.alsoAnswers ?? {})) {
      responses[status] = {
        description,
        headers: { 'X-Request-Id': HEADERS['X-Request-Id'] },
        content: { 'application/json': { schema } },
      };
    }
  }
  const byStatus = new Map<string, string[]>();
  for (const slug of problemSlugs(def, docs)) {
    const known = PROBLEM_TYPES[slug];
    if (!known) throw new Error(`${key}: unknown problem type ${slug}`);
    const status = String(known.status);
    byStatus.set(status, [...(byStatus.get(status) ?? []), slug]);
  }
  const gateway = gatewayStatuses(def);
  const statuses = [...new Set([...byStatus.keys(), ...gateway])].sort();
  for (const status of statuses) {
    const slugs = byStatus.get(status) ?? [];
    const fromGateway = gateway.includes(status);
    const lines = slugs.map((slug) => `\`${slug}\`: ${PROBLEM_TYPES[slug]!.meaning}.`);
    if (fromGateway) lines.push(`From API Gateway itself (\`{ "message" }\`): ${GATEWAY_ANSWERS[status]}.`);
    const content: Json = {};
    if (slugs.length) {
      content[PROBLEM_JSON] = {
        schema: {
          allOf: [
            { $ref: '#/components/schemas/Problem' },
            {
              type: 'object',
              properties: {
                type: { enum: slugs.map(problemUrn) },
                status: { const: Number(status) },
              },
            },
          ],
        },
      };
    }
    if (fromGateway)
      content['application/json'] = { schema: { $ref: '#/components/schemas/GatewayMessage' } };
    const headers: Json = slugs.length ? { 'X-Request-Id': HEADERS['X-Request-Id'] } : {};
    if (status === '429' || status === '503') headers['Retry-After'] = HEADERS['Retry-After'];
    if (status === '401') headers['WWW-Authenticate'] = { $ref: '#/components/headers/WWW-Authenticate' };
    responses[status] = { description: lines.join(' '), headers, content };
  }
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
            content: {
              'application/json': {
                schema: components.add(def.body, 'input', `${id}_body`),
                ...(docs?.example === undefined ? {} : { example: docs.example }),
              },
            },
          },
        }
      : {}),
    responses,
  };
}

/** What the document says about a route beyond its shapes (functions/route-docs.ts). */
export interface RouteDocs {
  /** A request body that the route accepts as is. */
  example?: unknown;
  /** Problem types (slugs of PROBLEM_TYPES) this route can answer beyond the generic ones. */
  problems?: readonly string[];
}

/**
 * The document of a route table (keyed by entry file, as `functions/routes.ts`) and its docs (request
 * examples, route-specific problem types). Nothing is listed by hand.
 */
export function openApiDocument(
  routes: Readonly<Record<string, RouteDef>>,
  docs: Readonly<Partial<Record<string, RouteDocs>>>,
): Json {
  const entries = Object.entries(routes);
  const components = new Components();
  components.schemas.Problem = components.add(problemDetails, 'output', 'Problem');
  components.schemas.GatewayMessage = {
    type: 'object',
    description: 'The body of an answer API Gateway gives itself, before any function runs.',
    properties: { message: { type: 'string' } },
    required: ['message'],
  };
  const paths: Record<string, Record<string, Json>> = {};
  for (const [key, def] of entries) {
    paths[def.path] ??= {};
    paths[def.path]![def.method.toLowerCase()] = operation(components, key, def, docs[key]);
  }
  // Any JSON value: described without recursion, so generated client types stay finite.
  if (components.schemas.JsonValue) {
    components.schemas.JsonValue = {
      description: 'Any JSON value (object, array, string, number, boolean, null).',
    };
  }
  const tags = [...new Set(entries.map(([, def]) => def.tag))].map((name) => ({
    name,
    description: TAG_DESCRIPTIONS[name] ?? name,
  }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Brand Cloud API',
      version: '0.1.0',
      description:
        'Multi-tenant brand-marketing backend. Errors are RFC 9457 problem details (`application/problem+json`); answers API Gateway gives itself keep its own `{ "message" }` shape. Lists are keyset-paginated.',
      license: { name: 'Proprietary', url: 'https://example.com/brand-cloud/license' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [
      {
        url: '{origin}',
        description: 'The API’s origin: the stack output ApiUrl, or http://localhost:3000 for `npm start`',
        variables: { origin: { default: 'http://localhost:3000' } },
      },
    ],
    tags,
    paths,
    components: {
      schemas: components.schemas,
      headers: {
        'X-Request-Id': {
          description:
            'The request’s id (also `requestId` in problem details); quote it when reporting a problem.',
          schema: { type: 'string' },
        },
        'Retry-After': {
          description: 'Seconds to wait before retrying.',
          schema: { type: 'integer', minimum: 0 },
        },
        'WWW-Authenticate': {
          description: 'Why the token was refused (`Bearer error="invalid_token", error_description=…`).',
          schema: { type: 'string' },
        },
      },
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
