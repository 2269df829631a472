/**
 * The pause between passes that found nothing, for the relay and the webhook deliverer alike: the Lambdas
 * (functions/events/*) and `npm start`'s local loop. An event waits up to about this long for the relay and as
 * long again for the deliverer. An idle relay pass is one short transaction (an index probe of the unpublished
 * rows), an idle deliverer pass one as well, so four of each per second cost the database little.
 */
export const EVENT_POLL_MS = 250;

/**
 * Runs `pass` again and again for a window (a scheduled invocation that keeps polling, so events leave within
 * about `pauseMs` instead of waiting for the next schedule), pausing between passes that found nothing to do.
 */
export async function runWindow(options: {
  windowMs: number;
  pauseMs: number;
  pass: () => Promise<boolean>;
  signal?: AbortSignal;
}): Promise<number> {
  const until = Date.now() + options.windowMs;
  let passes = 0;
  while (Date.now() < until && !options.signal?.aborted) {
    const busy = await options.pass();
    passes += 1;
    if (!busy) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
  return passes;
}
