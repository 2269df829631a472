-- Connection health, lifecycle events (outbox), webhook deliveries, provider-wide refresh pauses and the
-- precomputed "due" instant the refresh scheduler claims by (issue 17). Expand only: the previous release's
-- queries keep working (new columns have defaults or are generated, the status check only widens).

-- ---- Health -------------------------------------------------------------------------------------------------
-- `needs_admin_consent`: Microsoft AADSTS 65001/90094, the tenant's admin has to consent; like needs_reauth, no
-- refresh is attempted until the user reconnects.
ALTER TABLE user_cloud_storage_tokens DROP CONSTRAINT user_cloud_storage_tokens_status_check;
ALTER TABLE user_cloud_storage_tokens ADD CONSTRAINT user_cloud_storage_tokens_status_check
  CHECK (status IN ('active', 'needs_reauth', 'needs_admin_consent'));

ALTER TABLE user_cloud_storage_tokens
  -- A reason code (API.md: invalid_grant, consent_revoked, …), never provider text; null while healthy.
  ADD COLUMN health_reason           text CHECK (health_reason ~ '^[a-z_]{1,64}$'),
  -- Since when the connection is in its current health state (the last transition).
  ADD COLUMN health_since            timestamptz,
  ADD COLUMN last_success_at         timestamptz,
  ADD COLUMN last_failure_at         timestamptz,
  -- When the refresh token held now was issued (Google testing-mode tokens die 7 days later).
  ADD COLUMN refresh_token_issued_at timestamptz,
  -- Set by the refresh scheduler when it sends the id to the refresh queue: not claimed again until then.
  ADD COLUMN refresh_claimed_until   timestamptz;
-- The refresher's UPDATE is granted per column (006): these are its columns too.
GRANT UPDATE (health_reason, health_since, last_success_at, last_failure_at, refresh_token_issued_at,
              refresh_claimed_until)
  ON user_cloud_storage_tokens TO brand_refresher;

-- The instant a connection becomes due for the scheduled refresh, computed from the row alone so that the
-- scheduler's claim is one range scan over a small partial index (index-only), whatever the table's size:
-- - an access token expiring within 15 minutes (or of unknown expiry) on a connection used within the 24 hours
--   before that moment (a used connection finds a fresh token);
-- - or a refresh token not exercised for 7 days (Microsoft's sliding window, Google's inactivity rule);
-- - never before the backoff of a transient failure (next_refresh_at) or an outstanding claim.
-- Only fixed-length intervals (minutes/hours) are used, so the result does not depend on the time zone and the
-- function is truly immutable (a generated column requires it).
CREATE FUNCTION connection_refresh_due_at(
  p_token_expires_at timestamptz,
  p_last_used_at timestamptz,
  p_last_refreshed_at timestamptz,
  p_connected_at timestamptz,
  p_next_refresh_at timestamptz,
  p_claimed_until timestamptz
) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT greatest(
      least(
        CASE WHEN p_last_used_at IS NOT NULL
               AND coalesce(p_token_expires_at - interval '15 minutes', '-infinity'::timestamptz)
                   <= p_last_used_at + interval '24 hours'
             THEN coalesce(p_token_expires_at - interval '15 minutes', '-infinity'::timestamptz) END,
        coalesce(p_last_refreshed_at, p_connected_at) + interval '168 hours'),
      p_next_refresh_at,
      p_claimed_until)
  $$;

ALTER TABLE user_cloud_storage_tokens
  ADD COLUMN refresh_due_at timestamptz GENERATED ALWAYS AS (connection_refresh_due_at(
    token_expires_at, last_used_at, last_refreshed_at, connected_at, next_refresh_at, refresh_claimed_until)) STORED;
CREATE INDEX user_cloud_storage_tokens_due_at
  ON user_cloud_storage_tokens (refresh_due_at) INCLUDE (id, user_id, provider)
  WHERE status = 'active';

-- ---- Provider-wide pause ----------------------------------------------------------------------------------
-- Repeated 5xx/429 from one provider's token endpoint pause every refresh worker for that provider together.
-- Not tenant data (no user_id); only the background role reads or writes it.
CREATE TABLE provider_refresh_pauses (
  provider             text PRIMARY KEY CHECK (provider IN ('google_drive', 'onedrive', 'dropbox')),
  consecutive_failures integer NOT NULL DEFAULT 0,
  paused_until         timestamptz,
  last_error           text CHECK (last_error ~ '^[a-z0-9_]{1,64}$'),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON provider_refresh_pauses TO brand_refresher;

-- ---- Outbox -----------------------------------------------------------------------------------------------
-- Every lifecycle event is a row written in the transaction that makes the change, so it commits (or rolls
-- back) with it. `txid` is the writing transaction: readers serve only rows of transactions older than every
-- transaction still running (pg_snapshot_xmin), so a row that commits late can never appear behind a cursor
-- that has already moved past it. `seq` orders rows within a transaction.
CREATE TABLE events (
  seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id           uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  txid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  type         text NOT NULL CHECK (type ~ '^[a-z_]+(\.[a-z_]+)+$'),
  subject_type text NOT NULL CHECK (subject_type ~ '^[a-z_]{1,64}$'),
  subject_id   text NOT NULL CHECK (length(subject_id) BETWEEN 1 AND 200),
  data         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (octet_length(data::text) <= 16384),
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX events_feed ON events (user_id, txid, seq);
CREATE INDEX events_unpublished ON events (txid, seq) WHERE published_at IS NULL;

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY events_tenant ON events
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
-- The relay works across tenants by design, as the background role (which also writes refresh events).
CREATE POLICY events_relay ON events TO brand_refresher USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON events TO brand_app;
GRANT SELECT, INSERT ON events TO brand_refresher;
GRANT UPDATE (published_at) ON events TO brand_refresher;

-- ---- Webhook deliveries -----------------------------------------------------------------------------------
-- One row per event to deliver to the stage's webhook URL (queued by the relay), and one row per attempt: the
-- delivery log operators query (README, "Events and webhooks").
CREATE TABLE webhook_deliveries (
  event_id         uuid PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
  event_seq        bigint NOT NULL,
  user_id          uuid NOT NULL,
  event_type       text NOT NULL,
  -- Deliveries with the same key go out one at a time, in event order (the connection's id).
  ordering_key     text NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_attempt_at  timestamptz,
  last_status_code integer,
  last_error       text CHECK (last_error ~ '^[a-z0-9_]{1,64}$'),
  delivered_at     timestamptz,
  dead_at          timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (ordering_key, event_seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, created_at);

CREATE TABLE webhook_delivery_attempts (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id     uuid NOT NULL REFERENCES webhook_deliveries (event_id) ON DELETE CASCADE,
  attempt      integer NOT NULL,
  attempted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  status_code  integer,
  error        text CHECK (error ~ '^[a-z0-9_]{1,64}$'),
  duration_ms  integer NOT NULL
);
CREATE INDEX webhook_delivery_attempts_event ON webhook_delivery_attempts (event_id, attempt);

-- Tenant rows like any other (RLS forced); only the background role reaches them, across tenants.
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_tenant ON webhook_deliveries
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
CREATE POLICY webhook_deliveries_deliverer ON webhook_deliveries TO brand_refresher USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO brand_refresher;
GRANT SELECT, INSERT ON webhook_delivery_attempts TO brand_refresher;
