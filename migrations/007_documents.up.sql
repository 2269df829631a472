-- Documents (issue 16): brand voice assets become files with a lifecycle. Expand only: every new column has a
-- default or is nullable, so the previous release's queries keep working against this schema.
ALTER TABLE brand_voice_assets
  ADD COLUMN status          text NOT NULL DEFAULT 'ready'
                             CHECK (status IN ('uploading', 'processing', 'ready', 'failed')),
  ADD COLUMN failure_code    text CHECK (failure_code IN ('unsupported_type', 'too_large', 'encrypted', 'corrupt',
                               'no_text', 'timeout', 'upload_expired', 'provider_error', 'reauth_required', 'not_found')),
  ADD COLUMN file_size       integer CHECK (file_size BETWEEN 0 AND 52428800),
  ADD COLUMN file_sha256     text CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  ADD COLUMN file_pages      integer CHECK (file_pages >= 0),
  ADD COLUMN word_count      integer NOT NULL DEFAULT 0 CHECK (word_count >= 0),
  ADD COLUMN source_revision text CHECK (length(source_revision) <= 1000),
  -- The S3 object version (version id, else the event sequencer) last extracted: a redelivered event for the
  -- same version does nothing, a newer one re-extracts.
  ADD COLUMN object_version  text CHECK (length(object_version) <= 1024),
  ADD COLUMN status_changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  ADD CONSTRAINT brand_voice_assets_failure_status CHECK ((status = 'failed') = (failure_code IS NOT NULL));

-- Pasted or extracted text may now be 5 MiB (was 1 MiB).
ALTER TABLE brand_voice_assets DROP CONSTRAINT brand_voice_assets_content_check;
ALTER TABLE brand_voice_assets ADD CONSTRAINT brand_voice_assets_content_check
  CHECK (octet_length(content) <= 5242880);

UPDATE brand_voice_assets
   SET word_count = coalesce(array_length(regexp_split_to_array(btrim(content), '\s+'), 1), 0)
 WHERE btrim(content) <> '';

CREATE INDEX brand_voice_assets_status ON brand_voice_assets (user_id, status, created_at, id);
-- Re-imports of the same provider file find the existing asset.
CREATE INDEX brand_voice_assets_source_file ON brand_voice_assets (user_id, source, source_file_id)
  WHERE source_file_id IS NOT NULL;
-- The scheduled sweep of uploads never completed.
CREATE INDEX brand_voice_assets_uploading ON brand_voice_assets (status_changed_at) WHERE status = 'uploading';

-- The scheduled job (brand_refresher) may see uploads still in progress and only mark them expired: it reads
-- no content and no file name (column grants) and cannot touch any other row (policy).
CREATE POLICY brand_voice_assets_upload_sweep ON brand_voice_assets FOR UPDATE TO brand_refresher
  USING (status = 'uploading')
  WITH CHECK (status = 'failed' AND failure_code = 'upload_expired');
-- UPDATE … RETURNING must also see the new row.
CREATE POLICY brand_voice_assets_upload_sweep_read ON brand_voice_assets FOR SELECT TO brand_refresher
  USING (status = 'uploading' OR failure_code = 'upload_expired');
GRANT SELECT (id, user_id, status, status_changed_at) ON brand_voice_assets TO brand_refresher;
GRANT UPDATE (status, failure_code, status_changed_at, updated_at) ON brand_voice_assets TO brand_refresher;

-- The refresher's audit writes (006) also admit exactly the sweep's own event.
DROP POLICY audit_log_refresher_actions ON audit_log;
CREATE POLICY audit_log_refresher_actions ON audit_log AS RESTRICTIVE FOR INSERT TO brand_refresher
  WITH CHECK ((resource_type = 'cloud_connection'
               AND action IN ('cloud_storage.refresh_failed', 'cloud_storage.refreshed',
                              'cloud_storage.needs_reauth', 'cloud_storage.recovered'))
           OR (resource_type = 'brand_voice_asset' AND action = 'brand_voice_asset.failed'
               AND metadata ->> 'failureCode' = 'upload_expired'));
