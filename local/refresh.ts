/**
 * `npm run refresh [-- --dry-run] [--workers 2] [--single-pass [--budget-seconds 100] [--concurrency 8]
 * [--batch-size 50]]`: one run of the scheduled token refresh against the local database, as the refresher role.
 * By default it is the AWS shape with the same handlers: the refresh scheduler (functions/token-refresh/handler.ts)
 * claims due ids into an in-process queue with SQS event shapes and the refresh worker
 * (functions/token-refresh/worker.ts) drains it. `--single-pass` runs `refreshDueConnections` in one process
 * instead (claim and refresh together, local/refresh-pass.ts).
 *
 * Database: REFRESHER_DATABASE_URL or REFRESHER_DB_SECRET_ARN when set; otherwise the local database (see
 * local/cli.ts: DATABASE_URL, else the running `npm start`, else .local/), with pending migrations applied.
 * Providers and the vault key come from the environment / .env, as for `npm start`.
 *
 * `PROVIDERS=sandbox`: the sandbox that minted the tokens runs inside `npm start`, so another process cannot
 * refresh them (every refresh would answer invalid_grant and mark the connections needs_reauth). A real refresh
 * then needs PROVIDER_ENDPOINTS pointing at that sandbox; `--dry-run` (counts of due connections per provider)
 * works anywhere. Prints counts only, never token material.
 */
import { optionalEnv } from '#shared/config';
import { logger } from '#shared/logger';
import { CliError, positiveInt, runCli } from './cli.ts';
import { prepareDatabase } from './postgres.ts';

await runCli(
  {
    name: 'refresh',
    usage:
      '[--dry-run] [--workers 2] [--single-pass [--budget-seconds 100] [--concurrency 8] [--batch-size 50]]',
    description: [
      'One run of the scheduled provider-token refresh as in AWS (the scheduler queues due ids, refresh workers',
      'refresh them: the same handlers over an in-process queue), as the refresher role. Prints a JSON summary',
      '(counts only). --single-pass: exits 1 when the pass stopped on a database or vault failure.',
    ].join('\n'),
    options: {
      'dry-run': { type: 'boolean', default: false },
      'single-pass': { type: 'boolean', default: false },
      workers: { type: 'string' },
      'budget-seconds': { type: 'string' },
      concurrency: { type: 'string' },
      'batch-size': { type: 'string' },
    },
    optionHelp: [
      ['--dry-run', 'only count the connections that are due, per provider'],
      ['--workers N', 'refresh workers draining the queue at once (default 2)'],
      [
        '--single-pass',
        'claim and refresh in one pass in this process (refreshDueConnections), not fanned out',
      ],
      ['--budget-seconds N', '--single-pass: start no new rows after N seconds (default 100)'],
      ['--concurrency N', '--single-pass: rows refreshed at once'],
      ['--batch-size N', '--single-pass: rows claimed per batch'],
    ],
  },
  async ({ values, signal, database }) => {
    // The summary is printed below; per-row failures (warnings) still show.
    if (!process.env.LOG_LEVEL) logger.setLogLevel('WARN');
    const budgetMs = (positiveInt(values['budget-seconds'], 'budget-seconds') ?? 100) * 1000;
    const concurrency = positiveInt(values.concurrency, 'concurrency');
    const batchSize = positiveInt(values['batch-size'], 'batch-size');
    if (!values['dry-run'] && optionalEnv('PROVIDERS') === 'sandbox' && !optionalEnv('PROVIDER_ENDPOINTS')) {
      throw new CliError(
        'PROVIDERS=sandbox: the sandbox tokens live inside `npm start`, which refreshes them itself every 5 minutes; ' +
          'refreshing them from here would mark every connection needs_reauth. Use `npm run refresh -- --dry-run`, ' +
          'or set PROVIDER_ENDPOINTS to the sandbox that issued them.',
        2,
      );
    }
    if (!optionalEnv('REFRESHER_DATABASE_URL') && !optionalEnv('REFRESHER_DB_SECRET_ARN')) {
      const db = await database();
      const urls = await prepareDatabase(db.adminUrl, db.database);
      if (urls.applied.length) console.error(`Applied pending migrations first: ${urls.applied.join(', ')}`);
      process.env.REFRESHER_DATABASE_URL = urls.refresherUrl;
    }
    const { countDueConnections, refreshDueConnections } = await import(
      '#shared/cloud-storage/scheduled-refresh'
    );
    if (values['dry-run']) {
      console.log(JSON.stringify({ due: await countDueConnections() }, null, 2));
      return 0;
    }
    if (!values['single-pass']) {
      const { InProcessQueue, runLocalRefresh } = await import('./refresh-queue.ts');
      const workers = positiveInt(values.workers, 'workers');
      const run = await runLocalRefresh(new InProcessQueue(), workers ? { workers } : {});
      console.log(JSON.stringify(run, null, 2));
      return 0;
    }
    const started = Date.now();
    const summary = await refreshDueConnections({
      remainingTimeMs: () => budgetMs + 20_000 - (Date.now() - started),
      signal,
      ...(concurrency ? { concurrency } : {}),
      ...(batchSize ? { batchSize } : {}),
    });
    console.log(JSON.stringify(summary, null, 2));
    return summary.stopReason === 'database' || summary.stopReason === 'vault' ? 1 : 0;
  },
);
