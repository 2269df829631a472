/**
 * How deep any request body may nest. The deepest legitimate body is a free-form field (level 1) holding
 * MAX_JSON_DEPTH (32) levels; the bound sits well above that and far below what recursive code survives.
 */
export const MAX_BODY_DEPTH = 64;

/**
 * The path to the first value nested deeper than `maxDepth` (the root is level 0), or undefined. Iterative, so
 * it runs safely on whatever JSON.parse (itself iterative in V8) accepted, before zod or JSON.stringify, which
 * recurse and would overflow the stack on a body nested a few thousand levels deep.
 */
export function tooDeep(root: unknown, maxDepth = MAX_BODY_DEPTH): Array<string | number> | undefined {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= maxDepth) return path;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
    } else {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--)
        stack.push({ value: (value as Record<string, unknown>)[keys[i]!], path: [...path, keys[i]!] });
    }
  }
  return undefined;
}
