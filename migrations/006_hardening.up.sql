-- Defence in depth from the security review (issue 15, finding 8) and the per-user rate limits (finding 6).
-- Expand only: the previous release's queries keep working.

-- ---- Database access -----------------------------------------------------------------------------------
-- PUBLIC may neither connect to this database nor create temporary objects in it (a temporary table or
-- function is a place to shadow names in search_path); only the runtime roles connect. The owner keeps its
-- rights as owner.
DO $$
BEGIN
  EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO brand_app, brand_refresher', current_database());
END
$$;

-- ---- The refresher writes only what it owns ----------------------------------------------------------------
-- The scheduled refresh (and key rotation) rewrites token material and refresh bookkeeping. It may not move a
-- connection to another user, provider or account: UPDATE is granted per column, never on the table.
-- A later migration that adds a column the refresher writes grants UPDATE on that column explicitly.
REVOKE UPDATE ON user_cloud_storage_tokens FROM brand_refresher;
GRANT UPDATE (status, tokens_ciphertext, key_version, token_expires_at, last_refreshed_at, refresh_failure_count,
              next_refresh_at, last_error, updated_at)
  ON user_cloud_storage_tokens TO brand_refresher;

-- Its audit rows are its own actions on connections, nothing else (a restrictive policy: ANDed with the rest).
CREATE POLICY audit_log_refresher_actions ON audit_log AS RESTRICTIVE FOR INSERT TO brand_refresher
  WITH CHECK (resource_type = 'cloud_connection'
              AND action IN ('cloud_storage.refresh_failed', 'cloud_storage.refreshed',
                             'cloud_storage.needs_reauth', 'cloud_storage.recovered'));

-- ---- PKCE verifier not stored in clear ---------------------------------------------------------------------
-- The verifier is derived from the state with a server-side key (HMAC) when the callback arrives, so the row
-- holds nothing that could complete an intercepted code. The column stays (the previous release writes it)
-- and is dropped by a later contract migration.
ALTER TABLE oauth_states ALTER COLUMN code_verifier DROP NOT NULL;

-- ---- Per-user rate limits ----------------------------------------------------------------------------------
-- One fixed-window counter per user and bucket (`connect`, `import`, `upload`), in PostgreSQL so every Lambda
-- container sees the same count. The upsert that counts a request also locks the counter row, which
-- serialises a user's concurrent requests of the same bucket for the rest of their transaction.
CREATE TABLE rate_limit_counters (
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  bucket       text NOT NULL CHECK (bucket ~ '^[a-z_]{1,32}$'),
  window_start timestamptz NOT NULL,
  hits         integer NOT NULL CHECK (hits >= 0),
  PRIMARY KEY (user_id, bucket)
);
ALTER TABLE rate_limit_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE rate_limit_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY rate_limit_counters_tenant ON rate_limit_counters
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON rate_limit_counters TO brand_app;
