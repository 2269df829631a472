-- The upload sweep's brand_voice_asset.failed event names the document (as the worker's events do), so the
-- refresher role reads the title of the rows it marks upload_expired (its row policy still limits which rows).
GRANT SELECT (title) ON brand_voice_assets TO brand_refresher;
