/**
 * Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): the
 * n-th consecutive failure waits a uniformly random time in [1 s, min(cap, base · 2^(n-1))].
 */
export function fullJitterBackoffSeconds(
  failures: number,
  options: { baseSeconds: number; capSeconds: number },
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const ceiling = Math.min(options.capSeconds, options.baseSeconds * 2 ** exponent);
  return Math.max(1, Math.round(random() * ceiling));
}
