ALTER TABLE brand_voice_assets DROP COLUMN IF EXISTS import_claimed_at, DROP COLUMN IF EXISTS import_job;
