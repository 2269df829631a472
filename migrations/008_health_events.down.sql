DROP TABLE IF EXISTS webhook_delivery_attempts;
DROP TABLE IF EXISTS webhook_deliveries;
DROP TABLE IF EXISTS events;
DROP TABLE IF EXISTS provider_refresh_pauses;
DROP INDEX IF EXISTS user_cloud_storage_tokens_due_at;
ALTER TABLE user_cloud_storage_tokens DROP COLUMN IF EXISTS refresh_due_at;
DROP FUNCTION IF EXISTS connection_refresh_due_at(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz);
ALTER TABLE user_cloud_storage_tokens
  DROP COLUMN IF EXISTS refresh_claimed_until,
  DROP COLUMN IF EXISTS refresh_token_issued_at,
  DROP COLUMN IF EXISTS last_failure_at,
  DROP COLUMN IF EXISTS last_success_at,
  DROP COLUMN IF EXISTS health_since,
  DROP COLUMN IF EXISTS health_reason;
-- The previous release knows two statuses; an admin-consent connection needs the user again, like needs_reauth.
UPDATE user_cloud_storage_tokens SET status = 'needs_reauth' WHERE status = 'needs_admin_consent';
ALTER TABLE user_cloud_storage_tokens DROP CONSTRAINT user_cloud_storage_tokens_status_check;
ALTER TABLE user_cloud_storage_tokens ADD CONSTRAINT user_cloud_storage_tokens_status_check
  CHECK (status IN ('active', 'needs_reauth'));
