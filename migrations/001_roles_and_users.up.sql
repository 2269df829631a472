-- Roles are cluster-wide, so they are created only when missing and never dropped by a down migration.
-- brand_app:       the functions' login role. Owns nothing, no BYPASSRLS, only the privileges granted below.
-- brand_refresher: the scheduled token refresh. Reaches only the token and audit tables.
-- Passwords are not set here: the deploy-time migration function (or the local setup) sets them from secrets.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'brand_app') THEN
    CREATE ROLE brand_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS NOREPLICATION;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'brand_refresher') THEN
    CREATE ROLE brand_refresher LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS NOREPLICATION;
  END IF;
END
$$;

-- Server-side limits for the runtime roles (also set per transaction by withTenant; these cover RDS Proxy).
ALTER ROLE brand_app SET statement_timeout = '5s';
ALTER ROLE brand_app SET lock_timeout = '5s';
ALTER ROLE brand_app SET idle_in_transaction_session_timeout = '10s';
ALTER ROLE brand_refresher SET statement_timeout = '10s';
ALTER ROLE brand_refresher SET lock_timeout = '5s';
ALTER ROLE brand_refresher SET idle_in_transaction_session_timeout = '30s';

-- Nothing in public is usable by default; every privilege is granted explicitly.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO brand_app, brand_refresher;

-- Every tenant policy is the plain comparison
--   user_id = nullif(current_setting('app.user_id', true), '')::uuid
-- With no tenant set in the transaction the setting is missing or '' and the policy matches no row.

CREATE TABLE users (
  id                uuid PRIMARY KEY,            -- the Cognito `sub`
  email             text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
  name              text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
  organization_name text CHECK (length(organization_name) <= 200),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_tenant ON users
  USING (id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (id = nullif(current_setting('app.user_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON users TO brand_app;

-- Append-only for the application (insert/select); the refresher may only insert.
CREATE TABLE audit_log (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  action        text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
  resource_type text NOT NULL,
  resource_id   text,
  metadata      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_log_page ON audit_log (user_id, created_at DESC, id DESC);

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_tenant ON audit_log
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
GRANT SELECT, INSERT ON audit_log TO brand_app;
GRANT INSERT ON audit_log TO brand_refresher;
