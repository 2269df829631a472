-- Provider connections, OAuth attempts and pending (unconfirmed) connections.

CREATE TABLE user_cloud_storage_tokens (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id               uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider              text NOT NULL CHECK (provider IN ('google_drive', 'onedrive', 'dropbox')),
  status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'needs_reauth')),
  tokens_ciphertext     bytea NOT NULL,           -- sealed by the token vault; never plaintext
  key_version           integer NOT NULL,
  token_expires_at      timestamptz,
  scopes                text[] NOT NULL DEFAULT '{}',
  provider_user_id      text NOT NULL,
  provider_email        text,
  connected_at          timestamptz NOT NULL DEFAULT now(),
  last_refreshed_at     timestamptz,
  last_used_at          timestamptz,
  refresh_failure_count integer NOT NULL DEFAULT 0,
  next_refresh_at       timestamptz,
  last_error            text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, provider)
);
CREATE INDEX user_cloud_storage_tokens_due ON user_cloud_storage_tokens (token_expires_at) WHERE status = 'active';
CREATE INDEX user_cloud_storage_tokens_key_version ON user_cloud_storage_tokens (key_version);

ALTER TABLE user_cloud_storage_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_cloud_storage_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY user_cloud_storage_tokens_tenant ON user_cloud_storage_tokens
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
-- The scheduled refresh works across tenants by design; its grants stop at this table and audit_log.
CREATE POLICY user_cloud_storage_tokens_refresher ON user_cloud_storage_tokens TO brand_refresher
  USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON user_cloud_storage_tokens TO brand_app;
GRANT SELECT, UPDATE ON user_cloud_storage_tokens TO brand_refresher;

-- One row per authorization attempt. The state itself is never stored, only its SHA-256.
CREATE TABLE oauth_states (
  state_hash    bytea PRIMARY KEY CHECK (length(state_hash) = 32),
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider      text NOT NULL CHECK (provider IN ('google_drive', 'onedrive', 'dropbox')),
  code_verifier text NOT NULL CHECK (length(code_verifier) BETWEEN 43 AND 128),
  redirect_uri  text NOT NULL,
  expires_at    timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_states_user ON oauth_states (user_id, created_at, state_hash);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);

-- Tokens obtained by a callback, waiting for the user who started the flow to confirm them.
CREATE TABLE pending_cloud_connections (
  ticket_hash       bytea PRIMARY KEY CHECK (length(ticket_hash) = 32),
  user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider          text NOT NULL CHECK (provider IN ('google_drive', 'onedrive', 'dropbox')),
  tokens_ciphertext bytea NOT NULL,
  key_version       integer NOT NULL,
  token_expires_at  timestamptz,
  scopes            text[] NOT NULL DEFAULT '{}',
  provider_user_id  text NOT NULL,
  provider_email    text,
  expires_at        timestamptz NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_cloud_connections_user ON pending_cloud_connections (user_id, created_at, ticket_hash);
CREATE INDEX pending_cloud_connections_expiry ON pending_cloud_connections (expires_at);

ALTER TABLE oauth_states ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_states FORCE ROW LEVEL SECURITY;
CREATE POLICY oauth_states_tenant ON oauth_states
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON oauth_states TO brand_app;

ALTER TABLE pending_cloud_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE pending_cloud_connections FORCE ROW LEVEL SECURITY;
CREATE POLICY pending_cloud_connections_tenant ON pending_cloud_connections
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON pending_cloud_connections TO brand_app;

-- The OAuth callback and the confirm step arrive with a state or ticket but (for the callback) without a
-- signed-in user, so they cannot run under a tenant. They go through two SECURITY DEFINER functions owned by
-- brand_oauth_broker, a NOLOGIN role whose only reach is "delete the row with this exact hash and return it".
-- The caller then checks provider, expiry and (on confirm) that the row belongs to the caller.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'brand_oauth_broker') THEN
    CREATE ROLE brand_oauth_broker NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS;
  END IF;
END
$$;
GRANT brand_oauth_broker TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO brand_oauth_broker;
GRANT SELECT, DELETE ON oauth_states, pending_cloud_connections TO brand_oauth_broker;
CREATE POLICY oauth_states_broker ON oauth_states TO brand_oauth_broker USING (true);
CREATE POLICY pending_cloud_connections_broker ON pending_cloud_connections TO brand_oauth_broker USING (true);

CREATE FUNCTION consume_oauth_state(p_state_hash bytea)
  RETURNS TABLE (user_id uuid, provider text, code_verifier text, redirect_uri text, expired boolean)
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
    DELETE FROM public.oauth_states s WHERE s.state_hash = p_state_hash
    RETURNING s.user_id, s.provider, s.code_verifier, s.redirect_uri, s.expires_at <= now()
  $$;

CREATE FUNCTION claim_pending_connection(p_ticket_hash bytea)
  RETURNS SETOF public.pending_cloud_connections
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
    DELETE FROM public.pending_cloud_connections p WHERE p.ticket_hash = p_ticket_hash RETURNING p.*
  $$;

-- Expired attempts and unconfirmed connections are discarded by the scheduled job.
CREATE FUNCTION purge_expired_oauth_rows() RETURNS integer
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
    WITH s AS (DELETE FROM public.oauth_states WHERE expires_at <= now() RETURNING 1),
         p AS (DELETE FROM public.pending_cloud_connections WHERE expires_at <= now() RETURNING 1)
    SELECT ((SELECT count(*) FROM s) + (SELECT count(*) FROM p))::integer
  $$;

-- Changing a function's owner needs CREATE on its schema for the new owner; granted only for the change.
GRANT CREATE ON SCHEMA public TO brand_oauth_broker;
ALTER FUNCTION consume_oauth_state(bytea) OWNER TO brand_oauth_broker;
ALTER FUNCTION claim_pending_connection(bytea) OWNER TO brand_oauth_broker;
ALTER FUNCTION purge_expired_oauth_rows() OWNER TO brand_oauth_broker;
REVOKE CREATE ON SCHEMA public FROM brand_oauth_broker;
REVOKE ALL ON FUNCTION consume_oauth_state(bytea), claim_pending_connection(bytea), purge_expired_oauth_rows() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION consume_oauth_state(bytea), claim_pending_connection(bytea) TO brand_app;
GRANT EXECUTE ON FUNCTION purge_expired_oauth_rows() TO brand_refresher;
