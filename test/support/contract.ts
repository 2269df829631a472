/**
 * The contract check behind the shared test API client: every response the e2e suite receives is validated
 * against the OpenAPI document's declared responses for its route (status, media type and schema, with ajv).
 * An undeclared status, an undeclared media type or a body that does not match is a violation; the stack's
 * cleanup fails the test file when there are any.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { routeDocs } from '#functions/route-docs';
import { routes } from '#functions/routes';
import { openApiDocument } from '#shared/http/openapi';

// biome-ignore lint/suspicious/noExplicitAny: walking an untyped JSON document
type Doc = any;

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const DOC_ID = 'https://brand-cloud.invalid/openapi.json';
const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

interface Template {
  path: string;
  pattern: RegExp;
  params: number;
}

export interface ContractChecker {
  /** Returns a description of what is wrong with this response, or undefined when it is as declared. */
  check(
    method: string,
    url: string,
    status: number,
    contentType: string | null,
    text: string,
  ): string | undefined;
}

export function createContractChecker(doc: Doc = openApiDocument(routes, routeDocs)): ContractChecker {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(structuredClone(doc), DOC_ID);
  const validators = new Map<string, ReturnType<Ajv2020['compile']>>();
  const validatorFor = (ref: string) => {
    let v = validators.get(ref);
    if (!v) {
      v = ajv.compile({ $ref: `${DOC_ID}#${ref}` });
      validators.set(ref, v);
    }
    return v;
  };
  const templates: Template[] = Object.keys(doc.paths)
    .map((path) => ({
      path,
      pattern: new RegExp(
        `^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+')}$`,
      ),
      params: (path.match(/\{/g) ?? []).length,
    }))
    // Literal segments win over parameters, as in API Gateway.
    .sort((a, b) => a.params - b.params);

  return {
    check(method, url, status, contentType, text) {
      const pathname = new URL(url, 'http://x').pathname;
      const lower = method.toLowerCase();
      const template = templates.find((t) => t.pattern.test(pathname) && doc.paths[t.path][lower]);
      const where = `${method} ${pathname} → ${status}`;
      if (!template) {
        // No such route or method: API Gateway's own 404 (or 405-less 404) is the only declared answer.
        return status === 404 ? undefined : `${where}: no route declares this method and path`;
      }
      const responses = doc.paths[template.path][lower].responses;
      const declared = responses[String(status)];
      if (!declared) {
        return `${where}: status not declared for ${method} ${template.path} (declared: ${Object.keys(responses).join(', ')})`;
      }
      const content = declared.content as Record<string, unknown> | undefined;
      if (!content || Object.keys(content).length === 0) {
        return text === '' ? undefined : `${where}: declared without a body, but one was sent`;
      }
      const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
      if (!(mediaType in content)) {
        return `${where}: media type "${mediaType}" not declared (declared: ${Object.keys(content).join(', ')})`;
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return `${where}: body is not JSON`;
      }
      const validate = validatorFor(
        `/${pointer('paths', template.path, lower, 'responses', String(status), 'content', mediaType, 'schema')}`,
      );
      if (validate(body)) return undefined;
      const errors = (validate.errors ?? [])
        .slice(0, 5)
        .map((e) => `${e.instancePath || '/'} ${e.message}`)
        .join('; ');
      return `${where}: body does not match the declared schema: ${errors} — body: ${text.slice(0, 300)}`;
    },
  };
}
