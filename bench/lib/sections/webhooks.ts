import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { localEventsIntervalMs, startLocalEvents } from '#local/events';
import { withTenant } from '#shared/db/tenant';
import { recordEvent } from '#shared/events/outbox';
import { webhookSecret } from '#shared/events/webhook-secret';
import type { BenchContext } from '../context.ts';
import type { WebhookResult } from '../results.ts';
import type { BenchUser } from '../stack.ts';
import { summarize } from '../stats.ts';

/**
 * How long the section waits after its last commit, in relay periods. A pass (relay, then delivery) starts at
 * least once per period, so an event is delivered within one period plus one pass; ten periods leave room for
 * nine further passes on a busy machine. An event still missing then was skipped, not late.
 */
const WAIT_PERIODS = 10;

/**
 * Section: event commit → webhook delivered, locally. Events are written through the outbox in a tenant
 * transaction (as the routes do); the clock starts when that transaction has committed. The local events loop of
 * `npm start` (the same relayEvents and deliverWebhooks as the Lambdas, at its period LOCAL_EVENTS_INTERVAL_MS)
 * delivers them to a receiver on 127.0.0.1 that verifies each signature with the standardwebhooks reference
 * library; the clock stops when the receiver has the request.
 *
 * The receiver counts by event id: only the section's own events are its samples. The outbox already holds the
 * earlier sections' events (OAuth confirms, documents), which the first pass delivers to the same receiver; they
 * are counted apart. Every receipt is kept, so a second delivery of an event (at least once) shows as a
 * duplicate; after the last event arrived the receiver stays up for one more pass to see one.
 */
export async function webhookLatency(
  ctx: BenchContext,
  user: BenchUser,
  stateDir: string,
): Promise<WebhookResult> {
  const count = ctx.settings.webhookEvents;
  const intervalMs = localEventsIntervalMs();
  const waitMs = WAIT_PERIODS * intervalMs;
  ctx.log(
    `webhooks: ${count} events, commit → delivered to a local receiver (relay period ${intervalMs} ms, wait up to ${waitMs} ms after the last commit)`,
  );
  const committedAt = new Map<string, number>();
  /** Arrival times per verified webhook-id (every receipt: a second one is a duplicate). */
  const receipts = new Map<string, number[]>();
  let invalid = 0;
  let verifier: Webhook | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        verifier!.verify(body, req.headers as Record<string, string>);
        const id = String(req.headers['webhook-id']);
        receipts.set(id, [...(receipts.get(id) ?? []), at]);
      } catch {
        invalid += 1;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  const previous = process.env.WEBHOOK_URL;
  process.env.WEBHOOK_URL = url;
  // The receiver verifies from the first delivery on (the first pass delivers the earlier sections' events).
  process.env.WEBHOOK_SECRET_FILE ??= path.join(stateDir, 'webhook-secret');
  verifier = new Webhook(await webhookSecret());
  const events = startLocalEvents({ stateDir, intervalMs });
  const allOwnDelivered = () => [...committedAt.keys()].every((id) => receipts.has(id));
  try {
    await events.ready;
    for (let i = 0; i < count; i++) {
      const id = await withTenant(user.userId, (tx) =>
        recordEvent(tx, {
          type: 'brand_voice_asset.ready',
          subject: { type: 'brand_voice_asset', id: randomUUID() },
          data: { wordCount: i },
        }),
      );
      committedAt.set(id, performance.now());
      // Spread over the relay's period, so the samples cover every phase of it.
      await sleep(Math.random() * 0.4 * intervalMs);
    }
    const deadline = Date.now() + waitMs;
    while (!allOwnDelivered() && Date.now() < deadline) await sleep(20);
    // One more pass: a duplicate delivery would come from it.
    await sleep(intervalMs);
  } finally {
    await events.stop();
    if (previous === undefined) delete process.env.WEBHOOK_URL;
    else process.env.WEBHOOK_URL = previous;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  const latencies: number[] = [];
  let duplicates = 0;
  for (const [id, t] of committedAt) {
    const got = receipts.get(id);
    if (!got) continue;
    latencies.push(got[0]! - t);
    duplicates += got.length - 1;
  }
  const earlierEvents = [...receipts.keys()].filter((id) => !committedAt.has(id)).length;
  const summary = summarize(latencies);
  ctx.log(
    `  ${latencies.length}/${count} delivered (${duplicates} duplicates; ${earlierEvents} earlier events also delivered): p50 ${summary.p50.toFixed(0)} ms, p99 ${summary.p99.toFixed(0)} ms`,
  );
  return {
    events: count,
    delivered: latencies.length,
    duplicates,
    earlierEvents,
    invalidSignatures: invalid,
    relayIntervalMs: intervalMs,
    waitPeriods: WAIT_PERIODS,
    waitMs,
    latencyMs: summary,
  };
}
