import * as z from 'zod/mini';

/**
 * Metadata for the OpenAPI document (z.toJSONSchema reads z.globalRegistry), the zod/mini spelling of classic
 * zod's `.meta(data)` and `.describe(text)`: a clone of the schema carrying the metadata, the schema itself left
 * as it was. The runtime schemas use zod/mini (functions instead of methods built into every instance), which
 * keeps zod's classic build out of every Lambda bundle (test/infra/bundles.test.ts).
 */
export function meta<T extends z.ZodMiniType>(schema: T, data: z.core.GlobalMeta): T {
  const copy = schema.clone();
  z.globalRegistry.add(copy, data);
  return copy;
}

/** `meta(schema, { description })`. */
export const describe = <T extends z.ZodMiniType>(schema: T, description: string): T =>
  meta(schema, { description });
