DROP TABLE IF EXISTS rate_limit_counters;
-- Attempts started by the new release carry no verifier; they expire within ten minutes.
DELETE FROM oauth_states WHERE code_verifier IS NULL;
ALTER TABLE oauth_states ALTER COLUMN code_verifier SET NOT NULL;
DROP POLICY IF EXISTS audit_log_refresher_actions ON audit_log;
REVOKE UPDATE (status, tokens_ciphertext, key_version, token_expires_at, last_refreshed_at, refresh_failure_count,
               next_refresh_at, last_error, updated_at)
  ON user_cloud_storage_tokens FROM brand_refresher;
GRANT UPDATE ON user_cloud_storage_tokens TO brand_refresher;
DO $$
BEGIN
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
END
$$;
