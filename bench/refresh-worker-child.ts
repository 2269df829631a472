/**
 * One refresh worker in its own process, as one concurrent Lambda instance of the SQS-triggered worker: its own
 * event loop and its own pool. The bench (bench/lib/sections/refresh.ts) polls the shared queue and sends this
 * process batches over IPC (`{ records }`); it answers with the worker handler's response and each record's
 * result. The environment (database, sandbox endpoints, vault key) is the bench's; the sandbox CA comes as
 * BENCH_SANDBOX_CA.
 */
import type { SQSRecord } from 'aws-lambda';
import { trustSandboxCertificate } from '#local/sandbox/index';
import { handleRefreshBatch } from '#shared/cloud-storage/refresh-fanout';
import { timeWorkerSteps } from './lib/worker-steps.ts';

trustSandboxCertificate(process.env.BENCH_SANDBOX_CA ?? '');
const send = (message: unknown) => process.send?.(message);
const steps = timeWorkerSteps();

process.on('message', async (message: { records?: SQSRecord[]; exit?: boolean }) => {
  if (message.exit) process.exit(0);
  const results: Record<string, number> = {};
  const cpu0 = process.cpuUsage();
  steps.take();
  const t0 = performance.now();
  try {
    const response = await handleRefreshBatch(
      { Records: message.records ?? [] },
      {
        onResult: (_m, result) => {
          results[result] = (results[result] ?? 0) + 1;
        },
      },
    );
    const cpu = process.cpuUsage(cpu0);
    send({
      failures: response.batchItemFailures.map((f) => f.itemIdentifier),
      results,
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - t0,
      steps: steps.take(),
    });
  } catch (error) {
    send({ crashed: (error as Error).message, results, cpuMs: 0 });
  }
});
send({ ready: true });
