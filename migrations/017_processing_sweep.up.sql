-- A document whose queue message was dead-lettered (the worker crashed or timed out on every delivery) stayed
-- `processing` for ever. The scheduled sweep (brand_refresher, as for expired uploads) now ends a document that
-- made no progress for two hours as `failed: timeout` (the API's code for a document that took too long). Expand
-- only: wider refresher policies and grants; the previous release's sweep of uploads still passes them (an
-- `uploading` row is already empty and has no import job).

-- The refresher may end a document nobody will finish (still `uploading`, or `processing`) as `failed` with one of
-- the sweep's two codes, and nothing else: emptied, its import job cleared (a late delivery of the job then does
-- nothing). It reads no content and no file name; the import claim only to leave a live copy alone.
ALTER POLICY brand_voice_assets_upload_sweep ON brand_voice_assets
  USING (status IN ('uploading', 'processing'))
  WITH CHECK (status = 'failed' AND failure_code IN ('upload_expired', 'timeout')
              AND content = '' AND word_count = 0 AND import_job IS NULL AND import_claimed_at IS NULL);
ALTER POLICY brand_voice_assets_upload_sweep_read ON brand_voice_assets
  USING (status IN ('uploading', 'processing') OR failure_code IN ('upload_expired', 'timeout'));
GRANT SELECT (import_claimed_at) ON brand_voice_assets TO brand_refresher;
GRANT UPDATE (content, word_count, import_job, import_claimed_at) ON brand_voice_assets TO brand_refresher;

-- The sweep's audit entry for the new code too (the refresher's audit writes stay restricted, 006/007).
DROP POLICY audit_log_refresher_actions ON audit_log;
CREATE POLICY audit_log_refresher_actions ON audit_log AS RESTRICTIVE FOR INSERT TO brand_refresher
  WITH CHECK ((resource_type = 'cloud_connection'
               AND action IN ('cloud_storage.refresh_failed', 'cloud_storage.refreshed',
                              'cloud_storage.needs_reauth', 'cloud_storage.recovered'))
           OR (resource_type = 'brand_voice_asset' AND action = 'brand_voice_asset.failed'
               AND metadata ->> 'failureCode' IN ('upload_expired', 'timeout')));

-- The sweep finds stalled documents by the time their status last changed.
CREATE INDEX brand_voice_assets_processing ON brand_voice_assets (status_changed_at) WHERE status = 'processing';
