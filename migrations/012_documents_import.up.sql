-- Documents (issue 16, item 4): imports from cloud storage are copied into the document store by the document
-- worker. Expand only: two nullable columns the previous release neither reads nor writes.
ALTER TABLE brand_voice_assets
  -- The pending copy from the provider: set by POST /brand-voice-assets/import together with the queue message
  -- that names it, cleared by the worker once the file is in the store (or the import failed). A message whose
  -- job is not the row's (superseded, already done, or its transaction rolled back) does nothing.
  ADD COLUMN import_job        uuid,
  -- The worker copying it now; a claim older than the worker can run is taken over by a redelivery.
  ADD COLUMN import_claimed_at timestamptz;
