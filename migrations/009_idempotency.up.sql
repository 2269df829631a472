-- Idempotency keys (issue 21). A mutating request that carries an `Idempotency-Key` header stores its result in
-- the same transaction as its write: a retry of a request whose outcome was lost (a COMMIT sent as the
-- connection dropped, answered 503) returns the first result instead of writing again. Keys are per user and
-- kept 24 hours; a user's expired keys are deleted when that user next uses one. Expand only: nothing the
-- previous release reads changes.
CREATE TABLE idempotency_keys (
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  idem_key     text NOT NULL CHECK (length(idem_key) BETWEEN 1 AND 255),
  -- SHA-256 of the request (method, route, parameters, body): the same key with another request is a 422.
  request_hash bytea NOT NULL CHECK (length(request_hash) = 32),
  -- `{"v": <result>}` as first returned; json (not jsonb) keeps the text, so a replay is byte-identical.
  response     json NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL DEFAULT now() + interval '24 hours',
  PRIMARY KEY (user_id, idem_key)
);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_tenant ON idempotency_keys
  USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid)
  WITH CHECK (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON idempotency_keys TO brand_app;
