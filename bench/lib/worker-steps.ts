import https from 'node:https';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import pg from 'pg';

/**
 * Where a refresh worker's records spend their time, measured from outside the worker's code in its own process:
 * every database round trip (`pg.Client#query`, until its promise settles), every KMS call (`KMSClient#send`) and
 * every HTTPS request (the token endpoint; until its answer has been read), summed. Each is the time the record
 * waited for that step, the event loop's queueing included, which is what the slot it occupies sees.
 */
export interface StepTimes {
  dbMs: number;
  dbCalls: number;
  /** KMS Decrypt (opening the row's tokens: before the token call, on the record's path). */
  decryptMs: number;
  decryptCalls: number;
  /** Other KMS calls (the new tokens' data key: made while the token endpoint answers). */
  kmsOtherMs: number;
  kmsOtherCalls: number;
  tokenMs: number;
  tokenCalls: number;
}

export const noSteps = (): StepTimes => ({
  dbMs: 0,
  dbCalls: 0,
  decryptMs: 0,
  decryptCalls: 0,
  kmsOtherMs: 0,
  kmsOtherCalls: 0,
  tokenMs: 0,
  tokenCalls: 0,
});

export function addSteps(into: StepTimes, more: StepTimes): void {
  for (const key of Object.keys(into) as Array<keyof StepTimes>) into[key] += more[key];
}

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

let current = noSteps();
let installed = false;

/**
 * Installs the timers in this process (once); `take()` returns what was measured since the last take and starts
 * over. Meant for a process that runs nothing else meanwhile: the worker's, or the bench's while a record runs
 * alone.
 */
export function timeWorkerSteps(): { take: () => StepTimes } {
  const take = () => {
    const taken = current;
    current = noSteps();
    return taken;
  };
  if (installed) return { take };
  installed = true;
  type Step = 'db' | 'decrypt' | 'kmsOther';
  const timed = (proto: Record<string, unknown>, name: string, step: (args: unknown[]) => Step) => {
    const original = proto[name] as AnyFn;
    proto[name] = function wrapped(this: unknown, ...args: unknown[]) {
      // From the call itself: what the client does before its promise exists (the SDK resolves its middleware,
      // pg writes the statement) is part of the step.
      const t0 = performance.now();
      const result = original.apply(this, args);
      if (!(result instanceof Promise)) return result;
      const which = step(args);
      current[`${which}Calls`] += 1;
      const done = () => {
        current[`${which}Ms`] += performance.now() - t0;
      };
      result.then(done, done);
      return result;
    };
  };
  timed(pg.Client.prototype as unknown as Record<string, unknown>, 'query', () => 'db');
  timed(KMSClient.prototype as unknown as Record<string, unknown>, 'send', ([command]) =>
    command instanceof DecryptCommand ? 'decrypt' : 'kmsOther',
  );
  const request = https.request as AnyFn;
  (https as unknown as { request: AnyFn }).request = function timedRequest(
    this: unknown,
    ...args: unknown[]
  ) {
    const t0 = performance.now();
    const req = request.apply(this, args) as import('node:http').ClientRequest;
    current.tokenCalls += 1;
    req.once('response', (res) => res.once('end', () => (current.tokenMs += performance.now() - t0)));
    return req;
  };
  return { take };
}
