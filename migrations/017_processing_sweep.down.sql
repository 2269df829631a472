DROP INDEX IF EXISTS brand_voice_assets_processing;
DROP POLICY audit_log_refresher_actions ON audit_log;
CREATE POLICY audit_log_refresher_actions ON audit_log AS RESTRICTIVE FOR INSERT TO brand_refresher
  WITH CHECK ((resource_type = 'cloud_connection'
               AND action IN ('cloud_storage.refresh_failed', 'cloud_storage.refreshed',
                              'cloud_storage.needs_reauth', 'cloud_storage.recovered'))
           OR (resource_type = 'brand_voice_asset' AND action = 'brand_voice_asset.failed'
               AND metadata ->> 'failureCode' = 'upload_expired'));
REVOKE UPDATE (content, word_count, import_job, import_claimed_at) ON brand_voice_assets FROM brand_refresher;
REVOKE SELECT (import_claimed_at) ON brand_voice_assets FROM brand_refresher;
ALTER POLICY brand_voice_assets_upload_sweep_read ON brand_voice_assets
  USING (status = 'uploading' OR failure_code = 'upload_expired');
ALTER POLICY brand_voice_assets_upload_sweep ON brand_voice_assets
  USING (status = 'uploading')
  WITH CHECK (status = 'failed' AND failure_code = 'upload_expired');
-- The older schema has no such code: a stalled document keeps its failure as the nearest one it knows (a
-- retryable `timeout`) rather than failing the migration.
UPDATE brand_voice_assets SET failure_code = 'timeout' WHERE failure_code = 'processing_stalled';
ALTER TABLE brand_voice_assets DROP CONSTRAINT brand_voice_assets_failure_code_check;
ALTER TABLE brand_voice_assets ADD CONSTRAINT brand_voice_assets_failure_code_check
  CHECK (failure_code IN ('unsupported_type', 'too_large', 'encrypted', 'corrupt', 'no_text', 'timeout',
                          'upload_expired', 'provider_error', 'reauth_required', 'not_found'));
