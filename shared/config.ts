/**
 * Configuration read from the environment. Everything is read lazily so that a function only needs the
 * variables it actually uses: a missing required variable fails the first use that needs it (a 5xx, never a
 * silent default in AWS). What must fail at init instead is checked there, per capability
 * (functions/define-handler.ts).
 */
export const isLambda = (): boolean => Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Missing required environment variable ${name}`);
  }
  return value;
}

export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function intEnv(name: string, fallback: number): number {
  const raw = optionalEnv(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`Environment variable ${name} must be an integer`);
  return value;
}

export interface DbSettings {
  /** Pool size per container: 1 in Lambda (one request at a time), more locally. */
  poolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  /** How long an idle pooled connection stays open. */
  idleTimeoutMs: number;
}

export function dbSettings(): DbSettings {
  return {
    poolMax: intEnv('DB_POOL_MAX', isLambda() ? 1 : 10),
    connectTimeoutMs: intEnv('DB_CONNECT_TIMEOUT_MS', 2_000),
    statementTimeoutMs: intEnv('DB_STATEMENT_TIMEOUT_MS', 5_000),
    idleInTransactionTimeoutMs: intEnv('DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 10_000),
    idleTimeoutMs: intEnv('DB_IDLE_TIMEOUT_MS', 60_000),
  };
}

export const frontendUrl = (): string => requireEnv('FRONTEND_URL');
