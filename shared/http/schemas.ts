import * as z from 'zod';

/** Shapes shared by every route: problem details, list pages, health. */
export const problemDetails = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  requestId: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** A machine-readable reason where one type has several causes (e.g. `account_mismatch`). */
  reason: z.string().optional(),
});

export const healthResponse = z.object({ status: z.literal('ok') });

/** `?limit=&cursor=` on every list route (fresh fields each call: list queries are built on first use). */
export const pageQuery = () => ({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(512).optional(),
});

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
