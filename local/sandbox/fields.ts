/**
 * Google's partial-response `fields` syntax, enough for the fakes: `a,b(c,d),e/f,*`.
 * https://developers.google.com/drive/api/guides/fields-parameter
 */
export type FieldTree = Map<string, FieldTree | true>;

export class FieldSyntaxError extends Error {}

export function parseFields(spec: string): FieldTree {
  const pos = { i: 0 };
  const tree = parseList(spec, pos);
  if (pos.i < spec.length) throw new FieldSyntaxError(`Invalid field selection ${spec}`);
  return tree;
}

function parseList(s: string, pos: { i: number }): FieldTree {
  const tree: FieldTree = new Map();
  while (pos.i < s.length) {
    const start = pos.i;
    while (pos.i < s.length && !',()'.includes(s[pos.i]!)) pos.i++;
    const path = s.slice(start, pos.i).trim();
    let sub: FieldTree | true = true;
    if (s[pos.i] === '(') {
      pos.i++;
      sub = parseList(s, pos);
      if (s[pos.i] !== ')') throw new FieldSyntaxError(`Invalid field selection ${s}`);
      pos.i++;
    }
    if (!path || !/^[\w*]+(\/[\w*]+)*$/.test(path))
      throw new FieldSyntaxError(`Invalid field selection ${s}`);
    insert(tree, path.split('/'), sub);
    if (s[pos.i] === ',') {
      pos.i++;
      continue;
    }
    if (s[pos.i] === ')') break;
  }
  return tree;
}

function insert(tree: FieldTree, parts: string[], sub: FieldTree | true): void {
  const [head, ...rest] = parts;
  if (head === undefined) return;
  const existing = tree.get(head);
  if (existing === true) return;
  if (rest.length === 0) {
    if (sub === true || !existing) tree.set(head, sub);
    else for (const [k, v] of sub) insert(existing, [k], v);
    return;
  }
  const child: FieldTree = existing ?? new Map();
  insert(child, rest, sub);
  tree.set(head, child);
}

/** Top-level names in `tree` that `allowed` does not know (Google answers 400 for those). */
export function unknownFields(tree: FieldTree, allowed: ReadonlySet<string>): string[] {
  return [...tree.keys()].filter((k) => k !== '*' && !allowed.has(k));
}

export function selectFields(value: unknown, tree: FieldTree | true): unknown {
  if (tree === true || tree.has('*')) return value;
  if (Array.isArray(value)) return value.map((v) => selectFields(v, tree));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of tree) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = selectFields(v, sub);
  }
  return out;
}
