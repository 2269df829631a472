import * as z from 'zod/mini';

/** Shapes shared by every route: problem details, list pages, health. */
export const problemDetails = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().check(z.int()),
  detail: z.string(),
  requestId: z.string(),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
  /** A machine-readable reason where one type has several causes (e.g. `account_mismatch`). */
  reason: z.optional(z.string()),
});

export const healthResponse = z.object({ status: z.literal('ok') });

/** `?limit=&cursor=` on every list route (fresh fields each call: list queries are built on first use). */
export const pageQuery = () => ({
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 50),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});

export const page = <T extends z.ZodMiniType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.nullable(z.string()) });
