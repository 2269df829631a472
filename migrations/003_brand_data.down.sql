DROP TABLE IF EXISTS published_posts;
DROP TABLE IF EXISTS content_calendar;
DROP TABLE IF EXISTS content_library;
DROP TABLE IF EXISTS brand_voice_assets;
DROP TABLE IF EXISTS competitors;
DROP TABLE IF EXISTS brand_strategy;
