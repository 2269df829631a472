import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, vi } from 'vitest';
import { type Sandbox, startSandbox, trustSandboxCertificate } from '#local/sandbox/index';
import type { Provider } from '#shared/providers/types';
import { resetVaultForTests, type TokenSet, tokenVault } from '#shared/vault/token-vault';
import { useTestDatabase, withClient } from './db.ts';
import { type FakeKms, startFakeKms } from './fake-kms.ts';
import { superuserUrl } from './vault-rows.ts';

/**
 * Starts the provider sandbox and points the token client at it (endpoints, client credentials, trusted CA),
 * with a throwaway local vault key. Call from `beforeAll`; `vi.unstubAllEnvs()` undoes the environment.
 */
export async function startRefreshSandbox(): Promise<Sandbox> {
  const sandbox = await startSandbox();
  trustSandboxCertificate(sandbox.caPem);
  vi.stubEnv('PROVIDER_ENDPOINTS', JSON.stringify(sandbox.endpoints));
  vi.stubEnv('PROVIDER_SECRET_ARN', undefined);
  vi.stubEnv('GOOGLE_CLIENT_ID', sandbox.clients.google_drive.clientId);
  vi.stubEnv('GOOGLE_CLIENT_SECRET', sandbox.clients.google_drive.clientSecret);
  vi.stubEnv('MICROSOFT_CLIENT_ID', sandbox.clients.onedrive.clientId);
  vi.stubEnv('MICROSOFT_CLIENT_SECRET', sandbox.clients.onedrive.clientSecret);
  vi.stubEnv('DROPBOX_APP_KEY', sandbox.clients.dropbox.clientId);
  vi.stubEnv('DROPBOX_APP_SECRET', sandbox.clients.dropbox.clientSecret);
  return sandbox;
}

/** A fresh raw AES vault key for this test file (no KMS, no key file). */
export function useLocalVaultKey(): void {
  vi.stubEnv('TOKEN_VAULT_KMS_KEY_ARN', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEYS', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', randomBytes(32).toString('base64'));
  resetVaultForTests();
}

/**
 * One connection row to seed. Times are SQL interval offsets from the database's now() (`'-5 minutes'`,
 * `'2 hours'`), `null` for a NULL column. Defaults describe a due row: token expiring in 5 minutes on a
 * connection used a minute ago, connected a day ago, never refreshed.
 */
export interface SeedSpec {
  userId: string;
  provider: Provider;
  status?: 'active' | 'needs_reauth';
  expiresIn?: string | null;
  lastUsed?: string | null;
  lastRefreshed?: string | null;
  connected?: string;
  failureCount?: number;
  nextRefresh?: string | null;
  /** Default: a refresh token the sandbox issued (valid). */
  refreshToken?: string;
}

export interface SeededRow {
  userId: string;
  provider: Provider;
  tokens: TokenSet;
}

export const newUserIds = (count: number): string[] => Array.from({ length: count }, () => randomUUID());

/**
 * Seeds users and connection rows in two statements as the cluster superuser (RLS does not apply to it), with
 * tokens minted by the sandbox and sealed by the vault under each row's own context, like the app would.
 */
export async function seedConnections(
  database: string,
  sandbox: Sandbox,
  specs: SeedSpec[],
): Promise<SeededRow[]> {
  const seeded: SeededRow[] = [];
  const sealed: Buffer[] = [];
  const versions: number[] = [];
  for (const spec of specs) {
    const issued = sandbox.control.issueTokens(spec.provider);
    const tokens: TokenSet = {
      accessToken: issued.accessToken,
      refreshToken: spec.refreshToken ?? issued.refreshToken!,
      tokenType: 'Bearer',
    };
    const box = await tokenVault.seal(tokens, { userId: spec.userId, provider: spec.provider });
    sealed.push(box.ciphertext);
    versions.push(box.keyVersion);
    seeded.push({ userId: spec.userId, provider: spec.provider, tokens });
  }
  const users = [...new Set(specs.map((s) => s.userId))];
  const col = <T>(pick: (s: SeedSpec) => T) => specs.map(pick);
  await withClient(superuserUrl(database), async (c) => {
    await c.query(
      `insert into users (id, email, name)
       select id, id::text || '@example.test', 'Refresh test' from unnest($1::uuid[]) as id
       on conflict do nothing`,
      [users],
    );
    await c.query(
      `insert into user_cloud_storage_tokens
         (user_id, provider, status, tokens_ciphertext, key_version, token_expires_at, last_used_at,
          last_refreshed_at, connected_at, refresh_failure_count, next_refresh_at, provider_user_id, scopes)
       select u, p, st, ct, kv, now() + ex::interval, now() + lu::interval, now() + lr::interval,
              now() + co::interval, fc, now() + nr::interval, 'acct-' || u::text || '-' || p, '{}'
         from unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::int[], $6::text[], $7::text[],
                     $8::text[], $9::text[], $10::int[], $11::text[])
              as t(u, p, st, ct, kv, ex, lu, lr, co, fc, nr)`,
      [
        col((s) => s.userId),
        col((s) => s.provider),
        col((s) => s.status ?? 'active'),
        sealed,
        versions,
        col((s) => (s.expiresIn === undefined ? '5 minutes' : s.expiresIn)),
        col((s) => (s.lastUsed === undefined ? '-1 minute' : s.lastUsed)),
        col((s) => s.lastRefreshed ?? null),
        col((s) => s.connected ?? '-1 day'),
        col((s) => s.failureCount ?? 0),
        col((s) => s.nextRefresh ?? null),
      ],
    );
  });
  return seeded;
}

export interface StoredConnection {
  user_id: string;
  provider: Provider;
  status: string;
  tokens_ciphertext: Buffer;
  key_version: number;
  token_expires_at: string | null;
  last_refreshed_at: string | null;
  refresh_failure_count: number;
  next_refresh_at: string | null;
  last_error: string | null;
  updated_at: string;
}

/** Every connection row as the superuser sees it, keyed `userId/provider`. */
export async function readConnections(database: string): Promise<Map<string, StoredConnection>> {
  const rows = await withClient(superuserUrl(database), async (c) => {
    const result = await c.query<StoredConnection>(
      `select user_id, provider, status, tokens_ciphertext, key_version, token_expires_at,
              last_refreshed_at, refresh_failure_count, next_refresh_at, last_error, updated_at
         from user_cloud_storage_tokens`,
    );
    return result.rows;
  });
  return new Map(rows.map((r) => [`${r.user_id}/${r.provider}`, r]));
}

export const keyOf = (row: { userId: string; provider: Provider }): string => `${row.userId}/${row.provider}`;

/** The token set a stored row decrypts to. */
export function openStored(row: StoredConnection): Promise<TokenSet> {
  return tokenVault.open(
    { ciphertext: row.tokens_ciphertext, keyVersion: row.key_version },
    { userId: row.user_id, provider: row.provider },
  );
}

/** Empties the tables a refresh test touches (as the superuser), between tests. */
export async function clearRefreshTables(database: string): Promise<void> {
  await withClient(superuserUrl(database), (c) =>
    c.query('truncate user_cloud_storage_tokens, oauth_states, pending_cloud_connections, audit_log'),
  );
}

export interface RefreshSandboxOptions {
  /** `DB_POOL_MAX` for the file, when its tests hold many connections at once. */
  poolMax?: number;
  /**
   * The vault: a throwaway local key (the default), or a setup run before the sandbox starts (e.g. a fake KMS
   * stubbed in with `useKmsVault`), whose teardown runs after the sandbox stopped.
   */
  vault?: { setUp: () => Promise<void>; tearDown: () => Promise<void> };
  /** Further tables to empty before each test, next to the refresh tables. */
  alsoClear?: string[];
}

/**
 * The set-up every refresh test file shares: a test database, the provider sandbox with the token client pointed
 * at it, a vault, and before each test the refresh tables emptied and the sandbox's knobs reset. `sandbox` is
 * usable from the first test on (it forwards to the instance `beforeAll` started).
 */
export function useRefreshSandbox(options: RefreshSandboxOptions = {}) {
  const db = useTestDatabase();
  let started: Sandbox | undefined;
  beforeAll(async () => {
    if (options.poolMax) vi.stubEnv('DB_POOL_MAX', String(options.poolMax));
    if (options.vault) await options.vault.setUp();
    else useLocalVaultKey();
    started = await startRefreshSandbox();
  });
  afterAll(async () => {
    await started?.stop();
    vi.unstubAllEnvs();
    resetVaultForTests();
    await options.vault?.tearDown();
  });
  const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) =>
    withClient(superuserUrl(db().name), async (c) => (await c.query(text, values)).rows as T[]);
  beforeEach(async () => {
    await clearRefreshTables(db().name);
    for (const table of options.alsoClear ?? []) await sql(`delete from ${table}`);
    started!.control.reset();
  });
  const sandbox = new Proxy({} as Sandbox, {
    get(_, property) {
      if (!started) throw new Error('the refresh sandbox starts in beforeAll');
      return Reflect.get(started, property);
    },
  });
  return { db, sandbox, sql };
}

/**
 * A vault sealing through a fake KMS on loopback (the Encryption SDK's KMS keyring, no local key), for
 * `useRefreshSandbox({ vault })`. `kms` and `keyArn` are set once `beforeAll` has run.
 */
export function kmsVault() {
  let kms: FakeKms | undefined;
  let keyArn = '';
  return {
    get kms(): FakeKms {
      if (!kms) throw new Error('the fake KMS starts in beforeAll');
      return kms;
    },
    get keyArn(): string {
      return keyArn;
    },
    async setUp() {
      kms = await startFakeKms();
      keyArn = kms.createKey();
      vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', undefined);
      vi.stubEnv('TOKEN_VAULT_LOCAL_KEYS', undefined);
      vi.stubEnv('TOKEN_VAULT_KMS_ENDPOINT', kms.endpoint);
      vi.stubEnv('TOKEN_VAULT_KMS_KEY_ARN', keyArn);
      vi.stubEnv('TOKEN_VAULT_KMS_KEY_VERSION', '1');
      resetVaultForTests();
    },
    async tearDown() {
      await kms?.close();
    },
  };
}
