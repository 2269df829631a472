import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { startLocalEvents } from '#local/events';
import { withTenant } from '#shared/db/tenant';
import { recordEvent } from '#shared/events/outbox';
import { webhookSecret } from '#shared/events/webhook-secret';
import type { BenchContext } from '../context.ts';
import type { WebhookResult } from '../results.ts';
import type { BenchUser } from '../stack.ts';
import { summarize } from '../stats.ts';

/** The local relay's period (`npm start`: LOCAL_EVENTS_INTERVAL_MS, default 1 s). */
const LOCAL_INTERVAL_MS = 1_000;

/**
 * Section: event commit → webhook delivered, locally. Events are written through the outbox in a tenant
 * transaction (as the routes do); the clock starts when that transaction has committed. The local events loop of
 * `npm start` (the same relayEvents and deliverWebhooks as the Lambdas, every second) delivers them to a receiver
 * on 127.0.0.1 that verifies each signature with the standardwebhooks reference library; the clock stops when
 * the receiver has the request.
 */
export async function webhookLatency(
  ctx: BenchContext,
  user: BenchUser,
  stateDir: string,
): Promise<WebhookResult> {
  const count = ctx.settings.webhookEvents;
  ctx.log(
    `webhooks: ${count} events, commit → delivered to a local receiver (relay period ${LOCAL_INTERVAL_MS} ms)`,
  );
  const committedAt = new Map<string, number>();
  const delivered = new Map<string, number>();
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
        if (!delivered.has(id)) delivered.set(id, at);
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
  const events = startLocalEvents({ stateDir, intervalMs: LOCAL_INTERVAL_MS });
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
      await sleep(Math.random() * 400);
    }
    const deadline = Date.now() + 30_000;
    while (delivered.size < committedAt.size && Date.now() < deadline) await sleep(50);
  } finally {
    await events.stop();
    if (previous === undefined) delete process.env.WEBHOOK_URL;
    else process.env.WEBHOOK_URL = previous;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  const latencies = [...committedAt].flatMap(([id, t]) => {
    const d = delivered.get(id);
    return d === undefined ? [] : [d - t];
  });
  const summary = summarize(latencies);
  ctx.log(
    `  ${latencies.length}/${count} delivered: p50 ${summary.p50.toFixed(0)} ms, p99 ${summary.p99.toFixed(0)} ms`,
  );
  return {
    events: count,
    delivered: latencies.length,
    invalidSignatures: invalid,
    relayIntervalMs: LOCAL_INTERVAL_MS,
    latencyMs: summary,
  };
}
