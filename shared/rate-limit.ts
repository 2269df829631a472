import { optionalEnv } from '#shared/config';
import { withTenant } from '#shared/db/tenant';
import { TooManyRequests } from '#shared/errors';

/**
 * Per-user limits on the routes that start costly outside work (an OAuth attempt, a provider download, an
 * upload slot). Fixed windows counted in PostgreSQL (`rate_limit_counters`), so every Lambda container of every
 * function sees the same count. `RATE_LIMIT_<BUCKET>=<requests>/<seconds>` overrides a default.
 */
export const RATE_LIMITS = {
  connect: { limit: 10, windowSeconds: 60 },
  import: { limit: 30, windowSeconds: 60 },
  upload: { limit: 30, windowSeconds: 60 },
} as const satisfies Record<string, { limit: number; windowSeconds: number }>;

export type RateLimitBucket = keyof typeof RATE_LIMITS;

function limitFor(bucket: RateLimitBucket): { limit: number; windowSeconds: number } {
  const override = optionalEnv(`RATE_LIMIT_${bucket.toUpperCase()}`)?.match(/^(\d+)\/(\d+)$/);
  return override ? { limit: Number(override[1]), windowSeconds: Number(override[2]) } : RATE_LIMITS[bucket];
}

/**
 * Counts one request of the user in `bucket` (its own short transaction, committed before the work it guards
 * starts) and answers 429 with Retry-After (seconds until the window ends) once the limit is exceeded.
 */
export async function consumeRateLimit(userId: string, bucket: RateLimitBucket): Promise<void> {
  const { limit, windowSeconds } = limitFor(bucket);
  const { hits, retryAfter } = await withTenant(userId, async (tx) => {
    const { rows } = await tx.query<{ hits: number; retryAfter: number }>(
      `insert into rate_limit_counters as c (user_id, bucket, window_start, hits)
       values ($1, $2, now(), 1)
       on conflict (user_id, bucket) do update set
         hits = case when c.window_start <= now() - make_interval(secs => $3) then 1 else c.hits + 1 end,
         window_start = case when c.window_start <= now() - make_interval(secs => $3) then now() else c.window_start end
       returning hits,
         ceil(extract(epoch from (window_start + make_interval(secs => $3) - now())))::int as "retryAfter"`,
      [userId, bucket, windowSeconds],
    );
    return rows[0]!;
  });
  if (hits > limit) {
    throw new TooManyRequests(
      `Too many ${bucket} requests: at most ${limit} per ${windowSeconds} seconds.`,
      Math.max(1, retryAfter),
    );
  }
}
