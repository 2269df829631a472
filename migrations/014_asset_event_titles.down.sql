REVOKE SELECT (title) ON brand_voice_assets FROM brand_refresher;
