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
