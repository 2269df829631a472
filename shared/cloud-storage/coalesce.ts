/**
 * Identical provider calls in flight share one answer. While one user's listing of a folder page is being
 * fetched, the same listing asked again (another tab, a double click, a burst of requests) waits for that answer
 * instead of asking the provider again: Dropbox refuses simultaneous identical `list_folder` calls with 429
 * `too_many_requests` (PROVIDERS.md), and no provider gains from the duplicate.
 *
 * Per process: the local stack and any container that serves several requests at once share here; a Lambda
 * container serves one request at a time, so between containers the provider session's one retry after a short
 * Retry-After absorbs the collision (provider-session.ts).
 */
const inFlight = new Map<string, Promise<unknown>>();

export function coalesce<T>(key: string, call: () => Promise<T>): Promise<T> {
  const running = inFlight.get(key) as Promise<T> | undefined;
  if (running) return running;
  const started = call().finally(() => inFlight.delete(key));
  inFlight.set(key, started);
  return started;
}
