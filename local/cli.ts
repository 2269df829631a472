/**
 * The one bootstrap of the local CLIs (`npm run migrate`, `refresh`, `vault:rotate`): `--help`, argument
 * errors, `.env`, Ctrl-C, and which database they work on, with every failure said in one plain line.
 *
 * Database, in this order:
 * 1. `DATABASE_URL` (a role that may create roles and databases), database `DATABASE_NAME` or `brand`;
 * 2. the embedded PostgreSQL of a running `npm start` on the same state (`.local/run.json`);
 * 3. otherwise the embedded PostgreSQL under `.local/postgres`, started for the command and stopped after it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { closePools } from '#shared/db/pool';
import { rememberedPort } from './ports.ts';
import { type EmbeddedCluster, startEmbeddedPostgres, takeOverSignals } from './postgres.ts';
import { AlreadyRunning, acquireRunState, currentOwner, type RunStateHandle } from './run-state.ts';

export interface CliSpec {
  /** The npm script, e.g. `migrate` (shown in help and errors). */
  name: string;
  /** Usage line after `npm run <name>`. */
  usage: string;
  /** What it does and what it prints (shown by --help). */
  description: string;
  options?: NonNullable<ParseArgsConfig['options']>;
  /** Option help lines: [flag, explanation]. */
  optionHelp?: Array<[string, string]>;
  allowPositionals?: boolean;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface LocalDatabase {
  /** A connection that may create roles and databases. */
  adminUrl: string;
  database: string;
  /** Where it came from, for messages: `DATABASE_URL`, `the running npm start (pid …)`, `.local/postgres`. */
  source: string;
}

export interface CliContext {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** Aborted on the first Ctrl-C / SIGTERM: finish the unit of work in flight, then stop. */
  signal: AbortSignal;
  database(): Promise<LocalDatabase>;
}

function helpText(spec: CliSpec): string {
  const lines = [`usage: npm run ${spec.name}${spec.usage ? ` -- ${spec.usage}` : ''}`, '', spec.description];
  const options: Array<[string, string]> = [...(spec.optionHelp ?? []), ['--help', 'this text']];
  lines.push('', 'options:');
  const width = Math.max(...options.map(([flag]) => flag.length));
  for (const [flag, text] of options) lines.push(`  ${flag.padEnd(width)}  ${text}`);
  lines.push(
    '',
    'database: DATABASE_URL when set; else the running `npm start` (found through .local/run.json);',
    'else the embedded PostgreSQL under .local/postgres, started for this command.',
  );
  return lines.join('\n');
}

export const positiveInt = (raw: unknown, name: string): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < 1)
    throw new CliError(`--${name} must be a positive integer, not "${String(raw)}"`, 2);
  return n;
};

/** Runs a CLI's `main` with everything above; exits with its status (0 success, 1 failure, 2 bad usage). */
export async function runCli(spec: CliSpec, main: (ctx: CliContext) => Promise<number>): Promise<never> {
  const fail = (message: string, code: number): never => {
    console.error(`npm run ${spec.name}: ${message}`);
    if (code === 2) console.error(`(npm run ${spec.name} -- --help shows the usage)`);
    process.exit(code);
  };
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(helpText(spec));
    process.exit(0);
  }
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: spec.options ?? {},
      allowPositionals: spec.allowPositionals ?? false,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    return fail((error as Error).message, 2);
  }
  if (existsSync('.env')) process.loadEnvFile('.env');
  takeOverSignals();

  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (controller.signal.aborted) return;
      console.error(`${signal}: stopping after the work in flight…`);
      controller.abort();
    });
  }

  let cluster: EmbeddedCluster | undefined;
  let run: RunStateHandle | undefined;
  const stateDir = path.resolve(process.env.LOCAL_STATE_DIR ?? '.local');
  const command = path.basename(process.argv[1] ?? spec.name, '.ts');
  let resolved: Promise<LocalDatabase> | undefined;
  const database = (): Promise<LocalDatabase> => {
    resolved ??= (async () => {
      const name = process.env.DATABASE_NAME ?? 'brand';
      if (process.env.DATABASE_URL)
        return { adminUrl: process.env.DATABASE_URL, database: name, source: 'DATABASE_URL' };
      const owner = currentOwner(stateDir);
      if (owner?.command === 'start') {
        if (owner.database === 'database-url') {
          throw new CliError(
            `npm start (pid ${owner.pid}) runs against DATABASE_URL; set the same DATABASE_URL for this command`,
          );
        }
        if (!owner.postgresPort) {
          throw new CliError(
            `npm start (pid ${owner.pid}) is still starting; try again when it shows its banner`,
          );
        }
        const url = `postgres://postgres:postgres_local@127.0.0.1:${owner.postgresPort}/postgres`;
        return {
          adminUrl: url,
          database: owner.databaseName ?? name,
          source: `the running npm start (pid ${owner.pid})`,
        };
      }
      try {
        run = await acquireRunState(stateDir, { command, port: 0, database: 'embedded', databaseName: name });
      } catch (error) {
        if (error instanceof AlreadyRunning) throw new CliError(error.message);
        throw error;
      }
      const dataDir = path.join(stateDir, 'postgres');
      const { port } = await rememberedPort(path.join(stateDir, 'postgres.port'));
      cluster = await startEmbeddedPostgres(dataDir, port, undefined, { stopOrphan: true });
      const pid = cluster.pid();
      if (pid) run.addChild({ name: 'postgres', pid, match: dataDir, signal: 'SIGINT' });
      run.update({ postgresPort: port });
      return {
        adminUrl: cluster.superuserUrl(),
        database: name,
        source: `${path.relative(process.cwd(), dataDir) || dataDir} (embedded, started for this command)`,
      };
    })();
    return resolved;
  };

  let code = 1;
  try {
    code = await main({ ...parsed, signal: controller.signal, database });
  } catch (error) {
    const err = error as Error & { code?: string };
    const message =
      error instanceof CliError
        ? error.message
        : err.code === 'ECONNREFUSED'
          ? `cannot reach the database (${err.message}); is it running?`
          : err.message || String(error);
    console.error(`npm run ${spec.name}: ${message}`);
    code = error instanceof CliError ? error.exitCode : 1;
  } finally {
    await closePools().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    run?.release();
  }
  if (code === 2) console.error(`(npm run ${spec.name} -- --help shows the usage)`);
  process.exit(code);
}
