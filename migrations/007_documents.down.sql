DROP POLICY audit_log_refresher_actions ON audit_log;
CREATE POLICY audit_log_refresher_actions ON audit_log AS RESTRICTIVE FOR INSERT TO brand_refresher
  WITH CHECK (resource_type = 'cloud_connection'
              AND action IN ('cloud_storage.refresh_failed', 'cloud_storage.refreshed',
                             'cloud_storage.needs_reauth', 'cloud_storage.recovered'));
REVOKE UPDATE (status, failure_code, status_changed_at, updated_at) ON brand_voice_assets FROM brand_refresher;
REVOKE SELECT (id, user_id, status, status_changed_at) ON brand_voice_assets FROM brand_refresher;
DROP POLICY IF EXISTS brand_voice_assets_upload_sweep_read ON brand_voice_assets;
DROP POLICY IF EXISTS brand_voice_assets_upload_sweep ON brand_voice_assets;
DROP INDEX IF EXISTS brand_voice_assets_uploading;
DROP INDEX IF EXISTS brand_voice_assets_source_file;
DROP INDEX IF EXISTS brand_voice_assets_status;
-- Text over the old 1 MiB bound cannot go back under it: such rows are cut to nothing rather than lost silently
-- into a failed migration (the originals stay in S3).
UPDATE brand_voice_assets SET content = '' WHERE octet_length(content) > 1048576;
ALTER TABLE brand_voice_assets DROP CONSTRAINT brand_voice_assets_content_check;
ALTER TABLE brand_voice_assets ADD CONSTRAINT brand_voice_assets_content_check
  CHECK (octet_length(content) <= 1048576);
ALTER TABLE brand_voice_assets
  DROP CONSTRAINT brand_voice_assets_failure_status,
  DROP COLUMN status_changed_at,
  DROP COLUMN object_version,
  DROP COLUMN source_revision,
  DROP COLUMN word_count,
  DROP COLUMN file_pages,
  DROP COLUMN file_sha256,
  DROP COLUMN file_size,
  DROP COLUMN failure_code,
  DROP COLUMN status;
