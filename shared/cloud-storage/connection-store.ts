import type { QueryConfig } from 'pg';
import type { AuditEvent } from '#shared/audit';
import type { Tx } from '#shared/db/tenant';
import type { EventType } from '#shared/events/outbox';
import { redact } from '#shared/logger';
import type { Provider } from '#shared/providers/types';
import type { SealedTokens } from '#shared/vault/token-vault';
import type { CloudConnection } from './schemas.ts';

/**
 * The connection store: every statement on `oauth_states`, `pending_cloud_connections` and
 * `user_cloud_storage_tokens`, and nothing else. Rows carry their tokens as `sealed` (ciphertext and key version,
 * never plaintext). Every statement about one user's rows names `user_id` explicitly, even where row-level
 * security already limits the transaction to that user: RLS is the second wall, not the only one. The
 * cross-tenant statements (the refresh claim, key rotation, the one-time state and ticket look-ups) return
 * `user_id` so that the caller acts for exactly that user.
 */

// ---- Rows ----------------------------------------------------------------------------------------------

/** What the API may show of a connection (no token material), as stored. */
export interface ConnectionRow {
  /** Stable across reconnects: whatever is linked to the connection stays linked. */
  id: string;
  provider: CloudConnection['provider'];
  status: CloudConnection['status'];
  provider_user_id: string;
  provider_email: string | null;
  scopes: string[];
  connected_at: string;
  token_expires_at: string | null;
  last_refreshed_at: string | null;
  last_error: string | null;
  health_reason: string | null;
  health_since: string | null;
  last_success_at: string | null;
  last_failure_at: string | null;
  refresh_failure_count: number;
  next_refresh_at: string | null;
  refresh_token_issued_at: string | null;
}

/** A connection with its sealed tokens and its refresh bookkeeping. */
export interface StoredConnection extends ConnectionRow {
  user_id: string;
  sealed: SealedTokens;
  last_used_at: string | null;
  refresh_failure_count: number;
  next_refresh_at: string | null;
}

export interface PendingConnection {
  user_id: string;
  provider: Provider;
  sealed: SealedTokens;
  token_expires_at: string | null;
  scopes: string[];
  provider_user_id: string;
  provider_email: string | null;
  expires_at: string;
}

export interface ConsumedState {
  user_id: string;
  provider: Provider;
  /** Only on attempts the previous release started (it stored the verifier); null on every new one. */
  code_verifier: string | null;
  redirect_uri: string;
  expired: boolean;
}

export interface ConnectionMeta {
  scopes: string[];
  providerUserId: string;
  providerEmail: string | null;
  tokenExpiresAt: string | null;
}

type Sealed<T> = Omit<T, 'sealed'> & { tokens_ciphertext: Buffer; key_version: number };

function withSealed<T extends { sealed: SealedTokens }>(row: Sealed<T>): T {
  const { tokens_ciphertext, key_version, ...rest } = row;
  return { ...rest, sealed: { ciphertext: tokens_ciphertext, keyVersion: key_version } } as unknown as T;
}

const CONNECTION_COLUMNS = `id, provider, status, provider_user_id, provider_email, scopes, connected_at,
  token_expires_at, last_refreshed_at, last_error, health_reason, health_since, last_success_at, last_failure_at,
  refresh_failure_count, next_refresh_at, refresh_token_issued_at`;
const STORED_COLUMNS = `${CONNECTION_COLUMNS}, user_id, tokens_ciphertext, key_version, last_used_at`;

/** ISO 8601 UTC with milliseconds, as the API (and the pg type parser) writes timestamps. */
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// ---- OAuth attempts ------------------------------------------------------------------------------------

/** Live (unexpired) authorization attempts a user may hold per provider; starting another drops the oldest. */
export const MAX_LIVE_ATTEMPTS = 5;

export async function insertOAuthState(
  tx: Tx,
  row: {
    userId: string;
    provider: Provider;
    stateHash: Buffer;
    redirectUri: string;
    expiresAt: Date;
  },
): Promise<void> {
  // Concurrent starts of the same user and provider queue here, so the cap below holds under a burst too (a
  // statement's snapshot is taken when it starts, so the lock must be a statement of its own).
  await tx.query("select pg_advisory_xact_lock(hashtextextended('oauth_states:' || $1 || ':' || $2, 0))", [
    row.userId,
    row.provider,
  ]);
  // One statement: the user's stale attempts go (the table never grows with abandoned flows), so do live ones
  // beyond the newest MAX_LIVE_ATTEMPTS - 1 for this provider (at most MAX_LIVE_ATTEMPTS with the new one), and
  // the new attempt is stored and audited.
  await tx.query(
    `with gone as (
       delete from oauth_states s
        where s.user_id = $1
          and (s.expires_at <= now()
               or s.state_hash in (select o.state_hash from oauth_states o
                                    where o.user_id = $1 and o.provider = $3 and o.expires_at > now()
                                    order by o.created_at desc, o.state_hash desc offset ${MAX_LIVE_ATTEMPTS - 1}))),
          attempt as (
            insert into oauth_states (state_hash, user_id, provider, redirect_uri, expires_at)
            values ($2, $1, $3, $4, $5) returning provider)
     insert into audit_log (user_id, action, resource_type, resource_id)
     select $1, 'cloud_storage.connect_started', 'cloud_connection', provider from attempt`,
    [row.userId, row.stateHash, row.provider, row.redirectUri, row.expiresAt],
  );
}

/**
 * Deletes and returns the attempt with this state hash (single use, atomic). Runs without a tenant: the
 * provider's redirect carries no bearer, so the row's `user_id` is what names the user from here on.
 */
export async function consumeOAuthState(tx: Tx, stateHash: Buffer): Promise<ConsumedState | undefined> {
  const { rows } = await tx.query<ConsumedState>('select * from consume_oauth_state($1)', [stateHash]);
  return rows[0];
}

/** Deletes expired OAuth attempts and unconfirmed connections of every user (refresher role); how many. */
export async function purgeExpiredOAuthRows(tx: Tx): Promise<number> {
  const { rows } = await tx.query<{ n: number }>('select purge_expired_oauth_rows() as n');
  return rows[0]?.n ?? 0;
}

// ---- Pending connections -------------------------------------------------------------------------------

export async function insertPendingConnection(
  tx: Tx,
  row: {
    userId: string;
    provider: Provider;
    ticketHash: Buffer;
    sealed: SealedTokens;
    meta: ConnectionMeta;
    expiresAt: Date;
  },
): Promise<void> {
  await tx.query(
    `with gone as (delete from pending_cloud_connections where user_id = $1 and expires_at <= now())
     insert into pending_cloud_connections
       (ticket_hash, user_id, provider, tokens_ciphertext, key_version, token_expires_at, scopes,
        provider_user_id, provider_email, expires_at)
     values ($2, $1, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      row.userId,
      row.ticketHash,
      row.provider,
      row.sealed.ciphertext,
      row.sealed.keyVersion,
      row.meta.tokenExpiresAt,
      row.meta.scopes,
      row.meta.providerUserId,
      row.meta.providerEmail,
      row.expiresAt,
    ],
  );
}

/**
 * Deletes and returns the pending connection with this ticket hash, whoever it belongs to: the caller compares
 * its `user_id` with the signed-in user (a ticket of another user is discarded, not kept for its owner).
 */
export async function claimPendingConnection(
  tx: Tx,
  ticketHash: Buffer,
): Promise<PendingConnection | undefined> {
  const { rows } = await tx.query<Sealed<PendingConnection>>(
    `select user_id, provider, tokens_ciphertext, key_version, token_expires_at, scopes, provider_user_id,
            provider_email, expires_at
       from claim_pending_connection($1)`,
    [ticketHash],
  );
  return rows[0] && withSealed<PendingConnection>(rows[0]);
}

// ---- Connections: the API's view -----------------------------------------------------------------------

/**
 * The user's connections (never the ciphertext) as one JSON array of ConnectionRow, in provider order: a scalar
 * subquery, so `/auth/me` can read them in the same statement as the profile. `userId` is the SQL expression
 * that names the user (a parameter such as `$1`, or a column of the outer query).
 */
export const connectionsJson = (userId: string) => `coalesce((select json_agg(json_build_object(
    'id', t.id, 'provider', t.provider, 'status', t.status, 'provider_user_id', t.provider_user_id,
    'provider_email', t.provider_email, 'scopes', t.scopes, 'connected_at', ${iso('t.connected_at')},
    'token_expires_at', ${iso('t.token_expires_at')}, 'last_refreshed_at', ${iso('t.last_refreshed_at')},
    'last_error', t.last_error, 'health_reason', t.health_reason, 'health_since', ${iso('t.health_since')},
    'last_success_at', ${iso('t.last_success_at')}, 'last_failure_at', ${iso('t.last_failure_at')},
    'refresh_failure_count', t.refresh_failure_count, 'next_refresh_at', ${iso('t.next_refresh_at')},
    'refresh_token_issued_at', ${iso('t.refresh_token_issued_at')}) order by t.provider)
  from user_cloud_storage_tokens t where t.user_id = ${userId}), '[]'::json)`;

export async function listConnectionRows(tx: Tx, userId: string): Promise<ConnectionRow[]> {
  const { rows } = await tx.query<{ connections: ConnectionRow[] }>(
    `select ${connectionsJson('$1')} as connections`,
    [userId],
  );
  return rows[0]!.connections;
}

// ---- Connections: one user's ---------------------------------------------------------------------------

export async function findConnection(
  tx: Tx,
  userId: string,
  provider: Provider,
  options: { forUpdate?: boolean } = {},
): Promise<StoredConnection | undefined> {
  const { rows } = await tx.query<Sealed<StoredConnection>>(
    `select ${STORED_COLUMNS} from user_cloud_storage_tokens
      where user_id = $1 and provider = $2 ${options.forUpdate ? 'for update' : ''}`,
    [userId, provider],
  );
  return rows[0] && withSealed<StoredConnection>(rows[0]);
}

export async function listStoredConnections(tx: Tx, userId: string): Promise<StoredConnection[]> {
  const { rows } = await tx.query<Sealed<StoredConnection>>(
    `select ${STORED_COLUMNS} from user_cloud_storage_tokens where user_id = $1 order by provider`,
    [userId],
  );
  return rows.map((row) => withSealed<StoredConnection>(row));
}

/**
 * Activates (or replaces) the user's connection for a provider: status active, failure state cleared. A
 * reconnect updates the same row, so the connection keeps its id and everything linked to it.
 * `newRefreshToken`: the provider issued a refresh token in this grant (its age is tracked for the warnings).
 */
export async function upsertConnection(
  tx: Tx,
  row: {
    userId: string;
    provider: Provider;
    sealed: SealedTokens;
    meta: ConnectionMeta;
    newRefreshToken?: boolean;
  },
  /**
   * The lifecycle event (subject: this connection) and the audit row of the change, written by the same
   * statement (data-modifying CTEs), so activating a connection is one round trip. Same rows as recordEvent and
   * recordAudit would write: the tenant from the transaction's context, data and metadata redacted.
   */
  records?: { event: { type: EventType; data: Record<string, unknown> }; audit: AuditEvent },
): Promise<ConnectionRow> {
  const upsert = `insert into user_cloud_storage_tokens
       (user_id, provider, status, tokens_ciphertext, key_version, token_expires_at, scopes,
        provider_user_id, provider_email, connected_at, last_refreshed_at, refresh_failure_count, next_refresh_at,
        last_error, health_reason, health_since, last_success_at, refresh_token_issued_at, refresh_claimed_until)
     values ($1, $2, 'active', $3, $4, $5, $6, $7, $8, now(), null, 0, null, null, null, now(), now(),
             case when $9::boolean then now() end, null)
     on conflict (user_id, provider) do update set
       status = 'active', tokens_ciphertext = excluded.tokens_ciphertext, key_version = excluded.key_version,
       token_expires_at = excluded.token_expires_at, scopes = excluded.scopes,
       provider_user_id = excluded.provider_user_id, provider_email = excluded.provider_email,
       connected_at = now(), last_refreshed_at = null, refresh_failure_count = 0, next_refresh_at = null,
       last_error = null, health_reason = null, health_since = now(), last_success_at = now(),
       refresh_token_issued_at = case when $9::boolean then now()
                                      else user_cloud_storage_tokens.refresh_token_issued_at end,
       refresh_claimed_until = null, updated_at = now()
     returning ${CONNECTION_COLUMNS}`;
  const values: unknown[] = [
    row.userId,
    row.provider,
    row.sealed.ciphertext,
    row.sealed.keyVersion,
    row.meta.tokenExpiresAt,
    row.meta.scopes,
    row.meta.providerUserId,
    row.meta.providerEmail,
    row.newRefreshToken ?? true,
  ];
  if (!records) return (await tx.query<ConnectionRow>(upsert, values)).rows[0]!;
  const tenant = "nullif(current_setting('app.user_id', true), '')::uuid";
  const { rows } = await tx.query<ConnectionRow>(
    `with up as (${upsert}),
     ev as (insert into events (user_id, type, subject_type, subject_id, data)
            select ${tenant}, $10, 'cloud_connection', up.id::text, $11 from up),
     au as (insert into audit_log (user_id, action, resource_type, resource_id, metadata)
            values (${tenant}, $12, $13, $14, $15))
     select * from up`,
    [
      ...values,
      records.event.type,
      JSON.stringify(redact(records.event.data)),
      records.audit.action,
      records.audit.resourceType,
      records.audit.resourceId ?? null,
      JSON.stringify(redact(records.audit.metadata ?? {})),
    ],
  );
  return rows[0]!;
}

/**
 * Whether the user's connection holds a live refresh token (active, and one was issued): Google then needs no
 * `prompt=consent`, which would mint another refresh token (at most 100 live per account and client).
 */
export async function holdsRefreshToken(tx: Tx, userId: string, provider: Provider): Promise<boolean> {
  const { rows } = await tx.query<{ holds: boolean }>(
    `select status = 'active' and refresh_token_issued_at is not null as holds
       from user_cloud_storage_tokens where user_id = $1 and provider = $2`,
    [userId, provider],
  );
  return rows[0]?.holds === true;
}

export async function deleteConnection(tx: Tx, userId: string, provider: Provider): Promise<boolean> {
  const { rowCount } = await tx.query(
    'delete from user_cloud_storage_tokens where user_id = $1 and provider = $2',
    [userId, provider],
  );
  return (rowCount ?? 0) > 0;
}

/** What a request needs of its connection before calling the provider. */
export interface ConnectionForUse {
  status: CloudConnection['status'];
  /** Why a connection that is not active stopped (a health reason), for the problem its use answers. */
  health_reason: string | null;
  token_expires_at: string | null;
  last_refreshed_at: string | null;
  /** A transient failure's backoff: no token call before this instant. */
  next_refresh_at: string | null;
  /** The provider-wide pause (repeated 5xx/429 seen by the refresh workers), when one holds now. */
  provider_paused_until: string | null;
  sealed: SealedTokens;
}

/**
 * The connection, and last_used_at recorded at most once a minute in the same round trip (the due predicate
 * reads it), with the provider-wide pause if one holds (the API role may read it: migration 013). The touch
 * skips a row that is locked (a refresh in progress) rather than wait for it: it is bookkeeping, not worth a queue.
 */
export async function readConnectionForUse(
  tx: Tx,
  userId: string,
  provider: Provider,
): Promise<ConnectionForUse | undefined> {
  const { rows } = await tx.query<Sealed<ConnectionForUse>>(
    `with touched as (
       update user_cloud_storage_tokens t set last_used_at = now()
        where t.id in (select id from user_cloud_storage_tokens
                        where user_id = $1 and provider = $2
                          and (last_used_at is null or last_used_at < now() - interval '1 minute')
                          for update skip locked)
       returning 1)
     select status, health_reason, token_expires_at, last_refreshed_at, next_refresh_at, tokens_ciphertext,
            key_version,
            (select p.paused_until from provider_refresh_pauses p
              where p.provider = $2 and p.paused_until > now()) as provider_paused_until
       from user_cloud_storage_tokens where user_id = $1 and provider = $2`,
    [userId, provider],
  );
  return rows[0] && withSealed<ConnectionForUse>(rows[0]);
}

// ---- Refresh: lock, re-check, outcome ------------------------------------------------------------------

/** Client-side bound of a lock wait: just above allowSlowRefresh's lock_timeout. */
const LOCK_WAIT_MS = 16_000;

/**
 * The lock-holding transaction waits for a provider call (token endpoint timeout 8 s), so its own limits are
 * raised for this transaction only: concurrent callers queue on the row lock instead of timing out.
 */
export async function allowSlowRefresh(tx: Tx): Promise<void> {
  // statement_timeout 20 s covers the lock wait (lock_timeout 15 s) plus the provider call.
  await tx.query(
    `select set_config('statement_timeout', '20s', true), set_config('lock_timeout', '15s', true),
            set_config('idle_in_transaction_session_timeout', '30s', true)`,
  );
}

/**
 * Locks a connection row for refresh. Works for both roles: the application role sees only the tenant's rows
 * (RLS), the refresher role sees every tenant's. `skipLocked` is for the scheduled job.
 */
export async function lockConnection(
  tx: Tx,
  userId: string,
  provider: Provider,
  options: { skipLocked?: boolean } = {},
): Promise<StoredConnection | undefined> {
  const { rows } = await tx.query<Sealed<StoredConnection>>({
    text: `select ${STORED_COLUMNS}
       from user_cloud_storage_tokens
      where user_id = $1 and provider = $2
      for update ${options.skipLocked ? 'skip locked' : ''}`,
    values: [userId, provider],
    // The pool's client-side read timeout (statement timeout + 1 s) would end a wait for the row lock that
    // allowSlowRefresh permits; waiting is the point here (the server-side lock_timeout still bounds it).
    query_timeout: LOCK_WAIT_MS,
  } as QueryConfig);
  return rows[0] && withSealed<StoredConnection>(rows[0]);
}

/**
 * A refresh succeeded: new sealed tokens (a rotated refresh token among them), failure state cleared, health
 * back to none (since now, when it was failing).
 */
export async function recordRefreshed(
  tx: Tx,
  row: {
    userId: string;
    provider: Provider;
    sealed: SealedTokens;
    tokenExpiresAt: string | null;
    rotated?: boolean;
  },
): Promise<void> {
  await tx.query(
    `update user_cloud_storage_tokens
        set tokens_ciphertext = $3, key_version = $4, token_expires_at = $5, last_refreshed_at = now(),
            health_since = case when health_reason is not null or refresh_failure_count > 0 then now()
                                else coalesce(health_since, now()) end,
            refresh_failure_count = 0, next_refresh_at = null, last_error = null, status = 'active',
            health_reason = null, last_success_at = now(), refresh_claimed_until = null,
            refresh_token_issued_at = case when $6::boolean then now() else refresh_token_issued_at end,
            updated_at = now()
      where user_id = $1 and provider = $2`,
    [
      row.userId,
      row.provider,
      row.sealed.ciphertext,
      row.sealed.keyVersion,
      row.tokenExpiresAt,
      row.rotated ?? false,
    ],
  );
}

/**
 * The grant is dead (or needs an admin): `needs_reauth` / `needs_admin_consent` with its reason; no more
 * refresh attempts until the user reconnects. The tokens are kept (never deleted by a failure).
 */
export async function recordNeedsReauth(
  tx: Tx,
  userId: string,
  provider: Provider,
  errorCode: string,
  failure: { status: 'needs_reauth' | 'needs_admin_consent'; reason: string } = {
    status: 'needs_reauth',
    reason: 'invalid_grant',
  },
): Promise<void> {
  await tx.query(
    `update user_cloud_storage_tokens
        set status = $4, health_reason = $5, health_since = now(), last_failure_at = now(),
            refresh_failure_count = refresh_failure_count + 1, last_error = $3, next_refresh_at = null,
            refresh_claimed_until = null, updated_at = now()
      where user_id = $1 and provider = $2`,
    [userId, provider, errorCode, failure.status, failure.reason],
  );
}

/** A transient failure: failure count, reason and the next attempt's time (the backoff); stays active. */
export async function recordTransientFailure(
  tx: Tx,
  row: {
    userId: string;
    provider: Provider;
    failureCount: number;
    nextRefreshAt: string;
    errorCode: string;
    reason?: string;
  },
): Promise<void> {
  await tx.query(
    `update user_cloud_storage_tokens
        set health_since = case when health_reason is distinct from $6 then now() else health_since end,
            refresh_failure_count = $3, next_refresh_at = $4, last_error = $5, health_reason = $6,
            last_failure_at = now(), refresh_claimed_until = null, updated_at = now()
      where user_id = $1 and provider = $2`,
    [
      row.userId,
      row.provider,
      row.failureCount,
      row.nextRefreshAt,
      row.errorCode,
      row.reason ?? 'provider_unavailable',
    ],
  );
}

/** Our side failed (client credentials, vault): the tokens are kept, the code is shown to the operator. */
export async function recordLastError(
  tx: Tx,
  userId: string,
  provider: Provider,
  errorCode: string,
): Promise<void> {
  await tx.query(
    `update user_cloud_storage_tokens set last_error = $3, updated_at = now() where user_id = $1 and provider = $2`,
    [userId, provider, errorCode],
  );
}

// ---- Scheduled refresh: the due predicate and the claim ------------------------------------------------

/**
 * The single definition of "due", used both to claim rows and to re-check a row once its lock is held:
 * - active only: a `needs_reauth` connection waits for the user to reconnect, never for us;
 * - not before `next_refresh_at` (the backoff a transient failure set);
 * - an access token expiring within 15 minutes (or of unknown expiry) on a connection used in the last 24 hours,
 *   so the next use finds a fresh token without waiting for a provider;
 * - or a refresh token not exercised for 7 days, which keeps Microsoft's 90-day sliding window and Google's
 *   inactivity rule from lapsing on connections nobody is using right now.
 * `now()` is the transaction's start: one consistent instant per statement pair.
 */
export const DUE_PREDICATE = `status = 'active'
  and (next_refresh_at is null or next_refresh_at <= now())
  and (
    ((token_expires_at is null or token_expires_at <= now() + interval '15 minutes')
      and last_used_at >= now() - interval '24 hours')
    or coalesce(last_refreshed_at, connected_at) <= now() - interval '7 days'
  )`;

export interface DueClaim {
  id: string;
  user_id: string;
  provider: Provider;
}

/**
 * Up to `limit` due rows that nobody is refreshing right now (SKIP LOCKED; the claim's locks last only for its
 * own short transaction). Connections about to be used first, then the idle ones (their refresh tokens have
 * weeks of slack): when the time budget cuts a run short, what is left for the next run is what can wait.
 */
export async function claimDueConnections(
  tx: Tx,
  options: { excludeIds: readonly string[]; pausedProviders: readonly Provider[]; limit: number },
): Promise<DueClaim[]> {
  const { rows } = await tx.query<DueClaim>(
    `select id, user_id, provider
       from user_cloud_storage_tokens
      where ${DUE_PREDICATE}
        and not (id = any($1::uuid[]))
        and not (provider = any($2::text[]))
      order by (last_used_at >= now() - interval '24 hours') is not true, token_expires_at nulls first, id
      limit $3
      for update skip locked`,
    [options.excludeIds, options.pausedProviders, options.limit],
  );
  return rows;
}

// ---- Refresh fan-out: the claim (index-only on the due instant) and the worker's re-check -------------------

/**
 * Claims up to `limit` due connections for the refresh queue: the due instant (`refresh_due_at`, migration 008)
 * is read from its partial index alone (an index-only range scan, whatever the table's size), and each claimed
 * row gets a lease (`refresh_claimed_until`), which moves its due instant past the lease: the next scheduler run
 * does not send it again while it waits in the queue. The outer re-check of the due instant makes two
 * concurrent claims of one row impossible (the second sees the first's lease once the row lock is released).
 */
export async function claimDueIds(
  tx: Tx,
  options: { limit: number; pausedProviders: readonly Provider[]; leaseSeconds: number },
): Promise<DueClaim[]> {
  const { rows } = await tx.query<DueClaim>(CLAIM_DUE_IDS_SQL, [
    options.limit,
    options.pausedProviders,
    options.leaseSeconds,
  ]);
  return rows;
}

/** The claim's index-only part (also what the EXPLAIN test looks at). */
export const DUE_IDS_SQL = `select id from user_cloud_storage_tokens
      where status = 'active' and refresh_due_at <= now() and not (provider = any($2::text[]))
      order by refresh_due_at
      limit $1`;

const CLAIM_DUE_IDS_SQL = `with due as (${DUE_IDS_SQL})
    update user_cloud_storage_tokens t
       set refresh_claimed_until = now() + make_interval(secs => $3)
      from due
     where t.id = due.id and t.status = 'active' and t.refresh_due_at <= now()
     returning t.id, t.user_id, t.provider`;

/**
 * The refresh worker's lock and re-check in one round trip: the row locked (SKIP LOCKED: someone else is
 * refreshing it), whether it is still due leaving its own claim aside (computed on the locked, latest version of
 * the row, so a duplicated or redelivered message finds the row already refreshed and does nothing), and the refresh
 * limits of allowSlowRefresh set for the rest of the transaction (the provider call and the write), and the
 * provider-wide pause as it stands now: paused (no provider call), or failing (failures counted, which a success
 * must clear). Nothing is returned when the row is gone or locked.
 */
export async function lockDueForWorker(
  tx: Tx,
  userId: string,
  provider: Provider,
): Promise<
  { row: StoredConnection; due: boolean; providerPaused: boolean; providerFailing: boolean } | undefined
> {
  const { rows } = await tx.query<
    Sealed<StoredConnection> & {
      due: boolean;
      limits: unknown;
      provider_paused: boolean | null;
      provider_failing: boolean | null;
    }
  >(
    `select ${STORED_COLUMNS},
            status = 'active' and connection_refresh_due_at(token_expires_at, last_used_at, last_refreshed_at,
              connected_at, next_refresh_at, null) <= now() as due,
            concat(set_config('statement_timeout', '20s', true), set_config('lock_timeout', '15s', true),
                   set_config('idle_in_transaction_session_timeout', '30s', true)) as limits,
            (select p.paused_until > now() from provider_refresh_pauses p where p.provider = $2)
              as provider_paused,
            (select p.consecutive_failures > 0 or p.paused_until is not null
               from provider_refresh_pauses p where p.provider = $2) as provider_failing
       from user_cloud_storage_tokens
      where user_id = $1 and provider = $2
      for update skip locked`,
    [userId, provider],
  );
  const found = rows[0];
  if (!found) return undefined;
  const { due, limits: _limits, provider_paused, provider_failing, ...row } = found;
  return {
    row: withSealed<StoredConnection>(row as Sealed<StoredConnection>),
    due,
    providerPaused: provider_paused === true,
    providerFailing: provider_failing === true,
  };
}

/** Releases a claim without refreshing (the row stays due for the next scheduler run). */
export async function releaseClaim(tx: Tx, id: string): Promise<void> {
  await tx.query('update user_cloud_storage_tokens set refresh_claimed_until = null where id = $1', [id]);
}

/** Providers paused right now (repeated 5xx/429 from their token endpoint). */
export async function pausedProviders(tx: Tx): Promise<Provider[]> {
  const { rows } = await tx.query<{ provider: Provider }>(
    'select provider from provider_refresh_pauses where paused_until > now()',
  );
  return rows.map((r) => r.provider);
}

/**
 * When the provider-wide pause on `provider` ends, if it is paused right now (refresh on use reads it again under
 * the row lock, as the API role, which may only read the table: migration 013).
 */
export async function providerPausedUntil(tx: Tx, provider: Provider): Promise<string | undefined> {
  const { rows } = await tx.query<{ paused_until: string }>(
    'select paused_until from provider_refresh_pauses where provider = $1 and paused_until > now()',
    [provider],
  );
  return rows[0]?.paused_until;
}

/**
 * Records one token-endpoint outcome for a provider: failures count up and, from `threshold` in a row, pause
 * the provider for `pauseSeconds` (every worker reads the pause); a success clears it.
 */
export async function recordProviderOutcome(
  tx: Tx,
  provider: Provider,
  outcome: { ok: true } | { ok: false; errorCode: string; threshold: number; pauseSeconds: number },
): Promise<void> {
  if (outcome.ok) {
    await tx.query(
      `update provider_refresh_pauses set consecutive_failures = 0, paused_until = null, updated_at = now()
        where provider = $1 and (consecutive_failures > 0 or paused_until is not null)`,
      [provider],
    );
    return;
  }
  await tx.query(
    `insert into provider_refresh_pauses as p (provider, consecutive_failures, last_error, paused_until)
     values ($1, 1, $2, case when 1 >= $3 then now() + make_interval(secs => $4) end)
     on conflict (provider) do update set
       consecutive_failures = p.consecutive_failures + 1, last_error = excluded.last_error, updated_at = now(),
       paused_until = case when p.consecutive_failures + 1 >= $3 then now() + make_interval(secs => $4)
                           else p.paused_until end`,
    [
      provider,
      outcome.errorCode.replace(/[^a-z0-9_]/g, '_').slice(0, 64) || 'error',
      outcome.threshold,
      outcome.pauseSeconds,
    ],
  );
}

/** Whether a (locked) row is still due: another refresh may have committed between the claim and the lock. */
export async function isStillDue(tx: Tx, userId: string, provider: Provider): Promise<boolean> {
  const { rows } = await tx.query<{ due: boolean }>(
    `select ${DUE_PREDICATE} as due from user_cloud_storage_tokens where user_id = $1 and provider = $2`,
    [userId, provider],
  );
  return rows[0]?.due === true;
}

/** How many connections are due right now, per provider (refresher role, every user). */
export async function countDueByProvider(tx: Tx): Promise<Array<{ provider: Provider; n: number }>> {
  const { rows } = await tx.query<{ provider: Provider; n: number }>(
    `select provider, count(*)::int as n from user_cloud_storage_tokens where ${DUE_PREDICATE} group by provider`,
  );
  return rows;
}

// ---- Key rotation batches ------------------------------------------------------------------------------

export type SealedTable = 'user_cloud_storage_tokens' | 'pending_cloud_connections';

// Identifiers are constants here, never input: they are interpolated into SQL.
const SEALED_TABLES: Record<SealedTable, { id: string; idType: string }> = {
  user_cloud_storage_tokens: { id: 'id', idType: 'uuid[]' },
  pending_cloud_connections: { id: 'ticket_hash', idType: 'bytea[]' },
};

export interface SealedRow {
  id: string | Buffer;
  user_id: string;
  provider: Provider;
  sealed: SealedTokens;
}

/**
 * Up to `limit` rows of `table` not sealed under `currentVersion`, locked, skipping `skipIds` (rows that failed
 * earlier in the run). SKIP LOCKED: rows a concurrent refresh (or a second rotate process) holds are left for
 * later, so several rotate processes can run side by side and none waits on a live refresh.
 */
export async function lockRowsOnOldKey(
  tx: Tx,
  table: SealedTable,
  options: { currentVersion: number; limit: number; skipIds: ReadonlyArray<string | Buffer> },
): Promise<SealedRow[]> {
  const { id, idType } = SEALED_TABLES[table];
  const { rows } = await tx.query<Sealed<SealedRow>>(
    `select ${id} as id, user_id, provider, tokens_ciphertext, key_version
       from ${table}
      where key_version <> $1 and not (${id} = any($3::${idType}))
      limit $2
      for update skip locked`,
    [options.currentVersion, options.limit, options.skipIds],
  );
  return rows.map((row) => withSealed<SealedRow>(row));
}

/** Replaces one row's ciphertext (same tokens, sealed under another key version). */
export async function resealRow(tx: Tx, table: SealedTable, row: SealedRow, sealed: SealedTokens) {
  const { id } = SEALED_TABLES[table];
  await tx.query(
    `update ${table} set tokens_ciphertext = $1, key_version = $2 where ${id} = $3 and user_id = $4`,
    [sealed.ciphertext, sealed.keyVersion, row.id, row.user_id],
  );
}

export async function countRowsOnOldKey(tx: Tx, table: SealedTable, currentVersion: number): Promise<number> {
  const { rows } = await tx.query<{ n: number }>(
    `select count(*)::int as n from ${table} where key_version <> $1`,
    [currentVersion],
  );
  return rows[0]?.n ?? 0;
}
