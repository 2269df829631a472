/**
 * `npm run openapi`: writes the OpenAPI 3.1 document of the route table to openapi.json (the same document
 * GET /openapi.json serves).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { routes } from '#functions/routes';
import { openApiDocument } from '#shared/http/openapi';

const target = path.resolve(process.cwd(), process.argv[2] ?? 'openapi.json');
await writeFile(target, `${JSON.stringify(openApiDocument(routes), null, 2)}\n`);
console.log(`Wrote ${target}`);
