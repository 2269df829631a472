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
