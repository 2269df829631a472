/**
 * Writes test/fixtures/previous-release-queries.json: the SQL statements of the repositories at a git commit
 * (the last release), found as string and template literals that start with a DML keyword. A template's
 * `${…}` parts that name a module-level string constant of the same file are substituted; statements built
 * any other way are left out (the file says how many). Usage: npx tsx test/support/extract-release-queries.ts <commit>
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const commit = process.argv[2];
if (!commit) throw new Error('usage: extract-release-queries.ts <commit>');
const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
const DML = /^\s*(select|insert|update|delete|with)\s[\s\S]*(\bfrom\b|\binto\b|\bset\b|\(|^\s*select \d)/;

/** Which database roles run a file's statements (as the previous release wired them). */
const rolesOf = (file: string): string[] =>
  /scheduled-refresh|vault\/rotate/.test(file)
    ? ['brand_refresher']
    : /cloud-storage\/refresh\.ts$/.test(file) // the refresh core: on use (app) and scheduled (refresher)
      ? ['brand_app', 'brand_refresher']
      : ['brand_app'];

const files = git('ls-tree', '-r', '--name-only', commit, '--', 'shared', 'functions')
  .split('\n')
  .filter((f) => f.endsWith('.ts') && !/shared\/db\/migrate\.ts$/.test(f));
const statements: Array<{ file: string; role: string; sql: string }> = [];
let skipped = 0;
for (const file of files) {
  const source = ts.createSourceFile(file, git('show', `${commit}:${file}`), ts.ScriptTarget.Latest, true);
  const constants = new Map<string, string>();
  const textOf = (node: ts.Node): string | undefined => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
    if (ts.isTemplateExpression(node)) {
      let text = node.head.text;
      for (const span of node.templateSpans) {
        if (!ts.isIdentifier(span.expression) || !constants.has(span.expression.text)) return undefined;
        text += constants.get(span.expression.text) + span.literal.text;
      }
      return text;
    }
    return undefined;
  };
  const visit = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const value = textOf(node.initializer);
      if (value !== undefined) constants.set(node.name.text, value);
    }
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateExpression(node)
    ) {
      const head = ts.isTemplateExpression(node) ? node.head.text : node.text;
      if (/^\s*(select|insert|update|delete|with)\s/.test(head)) {
        const sql = textOf(node);
        if (sql === undefined) skipped++;
        else if (DML.test(sql)) {
          for (const role of rolesOf(file))
            statements.push({ file, role, sql: sql.replace(/\s+/g, ' ').trim() });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
const unique = [...new Map(statements.map((s) => [`${s.role}|${s.sql}`, s])).values()];
const out = path.resolve(import.meta.dirname, '../fixtures/previous-release-queries.json');
writeFileSync(
  out,
  `${JSON.stringify({ commit: git('rev-parse', commit).trim(), skippedDynamic: skipped, statements: unique }, null, 2)}\n`,
);
console.log(`${unique.length} statements (${skipped} dynamic ones skipped) → ${out}`);
